// The LLM gateway's tables: spending budgets and the response cache. The SQL that creates
// them is migrations/0003_llm.sql; the ledger (llm_calls) lives in core.ts.
import {
  bigint,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { organizations } from './core.js';

export const llmBudgets = pgTable(
  'llm_budgets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    scopeId: uuid('scope_id').notNull(),
    period: text('period').notNull(),
    limitUsd: numeric('limit_usd', { precision: 14, scale: 4 }),
    limitTokens: bigint('limit_tokens', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique().on(table.orgId, table.scope, table.scopeId, table.period)],
);

export const llmCache = pgTable('llm_cache', {
  key: text('key').primaryKey(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  model: text('model').notNull(),
  response: jsonb('response').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});
