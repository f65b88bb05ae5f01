// The sandbox's table: one row per command run, with its resource use (0002_workspaces.sql).
// Tenant-owned like every table: it carries org_id.
import { bigint, boolean, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, projects, steps, tasks } from './core.js';

export const sandboxRuns = pgTable('sandbox_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
  stepId: uuid('step_id').references(() => steps.id, { onDelete: 'set null' }),
  executor: text('executor').notNull(),
  command: text('command').array().notNull(),
  exitCode: integer('exit_code'),
  signal: text('signal'),
  isTimedOut: boolean('is_timed_out').notNull().default(false),
  isOutputTruncated: boolean('is_output_truncated').notNull().default(false),
  cpuMs: bigint('cpu_ms', { mode: 'number' }),
  wallMs: bigint('wall_ms', { mode: 'number' }).notNull(),
  peakMemoryBytes: bigint('peak_memory_bytes', { mode: 'number' }),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
});
