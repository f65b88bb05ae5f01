// Sprints: tasks grouped for a period, with a capacity measured in budget (USD).
import { numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, projects } from './core.js';

export const sprints = pgTable('sprints', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  capacityUsd: numeric('capacity_usd', { precision: 12, scale: 4 }),
  startsAt: timestamp('starts_at', { withTimezone: true }),
  endsAt: timestamp('ends_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
