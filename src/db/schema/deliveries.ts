// Where each task's result went (0020_task_deliveries.sql): one row per task, upserted.
import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, tasks } from './core.js';

export const taskDeliveries = pgTable('task_deliveries', {
  taskId: uuid('task_id')
    .primaryKey()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  mode: text('mode', { enum: ['local', 'push', 'pull-request'] }).notNull(),
  branch: text('branch').notNull(),
  commit: text('commit').notNull(),
  /** The pull request's page (mode 'pull-request'). */
  url: text('url'),
  /** The pull or merge request's number on the host (mode 'pull-request'). */
  number: integer('number'),
  /** The remote the branch was pushed to (mode 'push'), never with a credential in it. */
  remoteUrl: text('remote_url'),
  state: text('state', { enum: ['open', 'closed', 'merged'] }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
