// What each budget has used: the spend of its scope since its period began (UTC), read from
// GET /api/spend, in USD and in tokens (input + output, as budgets count them).
import { settingsApi, type Budget, type BudgetPeriod } from './api';

export interface Spent {
  usd: number;
  tokens: number;
}

/** When the budget's current period began: midnight or the 1st, UTC; none for total. */
export function periodStart(period: BudgetPeriod, now = new Date()): string | undefined {
  if (period === 'total') return undefined;
  const day = period === 'day' ? now.getUTCDate() : 1;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day)).toISOString();
}

async function spentOn(budget: Budget): Promise<Spent> {
  const query: Record<string, string> = {};
  const from = periodStart(budget.period);
  if (from) query.from = from;
  if (budget.scope === 'project') query.projectId = budget.scopeId;
  if (budget.scope === 'task') query.taskId = budget.scopeId;
  const report = await settingsApi.spend(query);
  const tokens = report.items.reduce((sum, row) => sum + row.inputTokens + row.outputTokens, 0);
  return { usd: report.totalUsd, tokens };
}

/** Each budget's spend, by budget id. */
export async function spentByBudget(budgets: Budget[]): Promise<Map<string, Spent>> {
  const spent = await Promise.all(budgets.map(spentOn));
  return new Map(budgets.map((budget, index) => [budget.id, spent[index]!]));
}
