// Git host records (0019_git_hosts.sql): webhook deliveries received, each task's issue and
// pull request on the host, and the comments Cadre posted about a task.
import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { organizations, projects, tasks } from './core.js';

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    deliveryId: text('delivery_id').notNull(),
    hostKind: text('host_kind', { enum: ['github', 'gitlab', 'gitea'] }).notNull(),
    event: text('event').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.deliveryId] }),
    index('webhook_deliveries_received_at').on(table.receivedAt),
  ],
);

export const taskHostLinks = pgTable(
  'task_host_links',
  {
    taskId: uuid('task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    /** The issue the task came from (its iid on GitLab). */
    issueNumber: integer('issue_number'),
    issueUrl: text('issue_url'),
    /** The pull (merge) request the task delivers to, once opened. */
    pullRequestNumber: integer('pull_request_number'),
    pullRequestUrl: text('pull_request_url'),
    headBranch: text('head_branch'),
    /** Review threads whose feedback the next delivery answers in. */
    reviewThreads: jsonb('review_threads')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('task_host_links_pull_request').on(table.projectId, table.pullRequestNumber)],
);

export const hostComments = pgTable(
  'host_comments',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    topic: text('topic').notNull(),
    commentId: text('comment_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.taskId, table.topic] })],
);
