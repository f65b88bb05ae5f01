// Reading and writing an organization's budgets. It never checks a call; budgets.ts does.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { notFound, validationError } from '../errors/index.js';
import type { Budget, BudgetInput, BudgetPeriod, BudgetScope } from './budgets.js';

type BudgetRow = typeof tables.llmBudgets.$inferSelect;

function toBudget(row: BudgetRow): Budget {
  return {
    id: row.id,
    scope: row.scope as BudgetScope,
    scopeId: row.scopeId,
    period: row.period as BudgetPeriod,
    limitUsd: row.limitUsd === null ? null : Number(row.limitUsd),
    limitTokens: row.limitTokens,
  };
}

/** The organization's budgets. */
export async function listBudgets(db: Db, orgId: string): Promise<Budget[]> {
  const rows = await db.select().from(tables.llmBudgets).where(eq(tables.llmBudgets.orgId, orgId));
  return rows.map(toBudget);
}

/** Creates or replaces the budget for one scope and period. */
export async function setBudget(db: Db, orgId: string, input: BudgetInput): Promise<Budget> {
  const limitUsd = input.limitUsd ?? null;
  const limitTokens = input.limitTokens ?? null;
  if (limitUsd === null && limitTokens === null) {
    throw validationError('limitUsd', 'give limitUsd, limitTokens or both');
  }
  const scopeId = input.scope === 'organization' ? orgId : input.scopeId;
  await assertScopeExists(db, orgId, input.scope, scopeId);
  const values = {
    orgId,
    scope: input.scope,
    scopeId,
    period: input.period,
    limitUsd: limitUsd === null ? null : String(limitUsd),
    limitTokens,
  };
  const [row] = await db
    .insert(tables.llmBudgets)
    .values(values)
    .onConflictDoUpdate({
      target: [
        tables.llmBudgets.orgId,
        tables.llmBudgets.scope,
        tables.llmBudgets.scopeId,
        tables.llmBudgets.period,
      ],
      set: { limitUsd: values.limitUsd, limitTokens, updatedAt: sql`now()` },
    })
    .returning();
  return toBudget(row!);
}

/** Removes one budget of the organization. */
export async function deleteBudget(db: Db, orgId: string, id: string): Promise<void> {
  const rows = await db
    .delete(tables.llmBudgets)
    .where(and(eq(tables.llmBudgets.orgId, orgId), eq(tables.llmBudgets.id, id)))
    .returning({ id: tables.llmBudgets.id });
  if (rows.length === 0) throw notFound('budget', id);
}

async function assertScopeExists(db: Db, orgId: string, scope: BudgetScope, scopeId: string) {
  if (scope === 'organization') return;
  const table = scope === 'project' ? tables.projects : tables.tasks;
  const rows = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.orgId, orgId), eq(table.id, scopeId)));
  if (rows.length === 0) throw notFound(scope, scopeId);
}
