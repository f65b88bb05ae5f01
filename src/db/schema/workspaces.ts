// The workspace's own records (0016_task_branches.sql): the base branch of each task branch.
// Keyed by the ids the workspace folders are named by, so no row of another table is needed.
import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const taskBranches = pgTable(
  'task_branches',
  {
    projectId: text('project_id').notNull(),
    taskId: text('task_id').notNull(),
    baseBranch: text('base_branch').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.projectId, table.taskId] })],
);
