// Spending budgets in USD and tokens per organization, project and task, and the check that
// refuses a call BEFORE it is sent. It never lets a call through on a guess that it fits.
import { and, eq, gte, sql, type SQL } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError, notFound } from '../errors/index.js';
import type { CallEstimate } from './cost.js';
import type { LedgerEntry } from './ledger.js';
import type { CallContext } from './types.js';

export type BudgetScope = 'organization' | 'project' | 'task';
export type BudgetPeriod = 'total' | 'day' | 'month';

export interface Budget {
  id: string;
  scope: BudgetScope;
  scopeId: string;
  period: BudgetPeriod;
  limitUsd: number | null;
  limitTokens: number | null;
}

export interface BudgetInput {
  scope: BudgetScope;
  /** The project or task id; the organization's own id for scope organization. */
  scopeId: string;
  period: BudgetPeriod;
  limitUsd?: number | null | undefined;
  limitTokens?: number | null | undefined;
}

/** What one call needs to know about its scope: confidentiality and the budgets that apply. */
export interface CallScope {
  isConfidential: boolean;
  budgets: Budget[];
}

interface ScopeRow extends Record<string, unknown> {
  is_confidential: boolean | null;
  task_budget_usd: string | null;
  budgets: Array<Record<string, unknown>>;
}

const scopeQuery = `SELECT
  (SELECT is_confidential FROM projects WHERE id = $2::uuid AND org_id = $1) AS is_confidential,
  (SELECT budget_usd FROM tasks WHERE id = $3::uuid AND org_id = $1) AS task_budget_usd,
  (SELECT coalesce(json_agg(b), '[]'::json) FROM llm_budgets b WHERE b.org_id = $1
    AND (b.scope = 'organization' OR (b.scope = 'project' AND b.scope_id = $2::uuid)
      OR (b.scope = 'task' AND b.scope_id = $3::uuid))) AS budgets`;

/** Loads the project's confidentiality and every applicable budget in one query. */
export async function loadCallScope(db: Db, context: CallContext): Promise<CallScope> {
  const projectId = context.projectId ?? null;
  const taskId = context.taskId ?? null;
  // A named statement: parsed and planned once per connection, on the path of every call.
  const pool = (db as Db & { $client: Pool }).$client;
  const result = await pool.query<ScopeRow>({
    name: 'cadre_llm_call_scope',
    text: scopeQuery,
    values: [context.orgId, projectId, taskId],
  });
  const row = result.rows[0]!;
  // Fail closed: an unknown project could be confidential.
  if (projectId && row.is_confidential === null) throw notFound('project', projectId);
  const budgets = row.budgets.map(toBudget);
  if (taskId && row.task_budget_usd !== null) {
    budgets.push({
      id: `task:${taskId}`,
      scope: 'task',
      scopeId: taskId,
      period: 'total',
      limitUsd: Number(row.task_budget_usd),
      limitTokens: null,
    });
  }
  return { isConfidential: row.is_confidential === true, budgets };
}

function toBudget(raw: Record<string, unknown>): Budget {
  return {
    id: String(raw.id),
    scope: raw.scope as BudgetScope,
    scopeId: String(raw.scope_id),
    period: raw.period as BudgetPeriod,
    limitUsd: raw.limit_usd === null ? null : Number(raw.limit_usd),
    limitTokens: raw.limit_tokens === null ? null : Number(raw.limit_tokens),
  };
}

/** The start of the budget's current period, in UTC. */
export function periodStart(period: BudgetPeriod, now: Date): Date | null {
  if (period === 'total') return null;
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  if (period === 'month') start.setUTCDate(1);
  return start;
}

export interface Spent {
  costUsd: number;
  tokens: number;
}

function scopeCondition(orgId: string, budget: Budget): SQL {
  const calls = tables.llmCalls;
  const base = eq(calls.orgId, orgId);
  if (budget.scope === 'project') return and(base, eq(calls.projectId, budget.scopeId))!;
  if (budget.scope === 'task') return and(base, eq(calls.taskId, budget.scopeId))!;
  return base;
}

/** What each budget's scope has spent in its period, from the database. */
export async function loadSpent(
  db: Db,
  orgId: string,
  budgets: readonly Budget[],
  now: Date,
): Promise<Spent[]> {
  const calls = tables.llmCalls;
  return Promise.all(
    budgets.map(async (budget) => {
      const since = periodStart(budget.period, now);
      const where = since
        ? and(scopeCondition(orgId, budget), gte(calls.createdAt, since))
        : scopeCondition(orgId, budget);
      const [row] = await db
        .select({
          costUsd: sql<string>`coalesce(sum(${calls.costUsd}), 0)`,
          tokens: sql<string>`coalesce(sum(${calls.inputTokens} + ${calls.outputTokens}), 0)`,
        })
        .from(calls)
        .where(where);
      return { costUsd: Number(row?.costUsd ?? 0), tokens: Number(row?.tokens ?? 0) };
    }),
  );
}

/** Whether a ledger row (or reservation) counts against `budget` at time `now`. */
export function isInBudget(
  entry: Pick<LedgerEntry, 'orgId' | 'projectId' | 'taskId' | 'createdAt'>,
  budget: Budget,
  now: Date,
) {
  const since = periodStart(budget.period, now);
  if (since && entry.createdAt < since) return false;
  if (budget.scope === 'project') return entry.projectId === budget.scopeId;
  if (budget.scope === 'task') return entry.taskId === budget.scopeId;
  return true;
}

export interface BudgetCheck {
  budgets: readonly Budget[];
  spent: readonly Spent[];
  /** Rows and reservations not yet in the database. */
  pending: ReadonlyArray<
    Pick<
      LedgerEntry,
      'orgId' | 'projectId' | 'taskId' | 'createdAt' | 'costUsd' | 'inputTokens' | 'outputTokens'
    >
  >;
  estimate: CallEstimate;
  model: string;
  now: Date;
}

/** The error for the first budget the call would exceed, or null when it fits every one. */
export function findBudgetViolation(check: BudgetCheck): CadreError | null {
  for (const [index, budget] of check.budgets.entries()) {
    const pending = check.pending.filter((entry) => isInBudget(entry, budget, check.now));
    const cost =
      check.spent[index]!.costUsd + pending.reduce((sum, entry) => sum + entry.costUsd, 0);
    const tokens =
      check.spent[index]!.tokens +
      pending.reduce((sum, entry) => sum + entry.inputTokens + entry.outputTokens, 0);
    const callTokens = check.estimate.inputTokens + check.estimate.outputTokens;
    const name =
      `the ${budget.period === 'total' ? '' : `${budget.period}ly `}${budget.scope} budget${budget.scope === 'organization' ? '' : ` of ${budget.scope} ${budget.scopeId}`}`.replace(
        'dayly',
        'daily',
      );
    if (budget.limitUsd !== null && cost + check.estimate.costUsd > budget.limitUsd) {
      return budgetError(
        `${check.model} refused: ${name} is $${budget.limitUsd}; $${cost.toFixed(4)} is spent and this call may cost up to $${check.estimate.costUsd.toFixed(4)}. Raise the budget (PUT /api/budgets), lower maxOutputTokens, or choose a cheaper model.`,
        budget,
      );
    }
    if (budget.limitTokens !== null && tokens + callTokens > budget.limitTokens) {
      return budgetError(
        `${check.model} refused: ${name} is ${budget.limitTokens} tokens; ${tokens} are used and this call may use up to ${callTokens}. Raise the budget (PUT /api/budgets) or lower maxOutputTokens.`,
        budget,
      );
    }
  }
  return null;
}

function budgetError(message: string, budget: Budget): CadreError {
  return new CadreError('LLM_BUDGET_EXCEEDED', message, { details: { budget } });
}
