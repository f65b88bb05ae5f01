// Spend queries over the ledger: cost and tokens per day, model, project or task, for one
// organization. Read-only; it never writes a row.
import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export type SpendGroup = 'day' | 'model' | 'project' | 'task';

export interface SpendQuery {
  orgId: string;
  groupBy: SpendGroup;
  from?: Date | undefined;
  to?: Date | undefined;
  projectId?: string | undefined;
  taskId?: string | undefined;
}

export interface SpendRow {
  /** The day (YYYY-MM-DD), model id, project id or task id; null for calls outside any. */
  key: string | null;
  calls: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
}

/** Spend grouped as asked, largest cost first (by day: oldest first). */
export async function querySpend(db: Db, query: SpendQuery): Promise<SpendRow[]> {
  const calls = tables.llmCalls;
  const keyExpression: SQL<string | null> = {
    day: sql<string>`to_char(date_trunc('day', ${calls.createdAt} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
    model: sql<string>`${calls.model}`,
    project: sql<string | null>`${calls.projectId}::text`,
    task: sql<string | null>`${calls.taskId}::text`,
  }[query.groupBy];
  const conditions = [eq(calls.orgId, query.orgId)];
  if (query.from) conditions.push(gte(calls.createdAt, query.from));
  if (query.to) conditions.push(lt(calls.createdAt, query.to));
  if (query.projectId) conditions.push(eq(calls.projectId, query.projectId));
  if (query.taskId) conditions.push(eq(calls.taskId, query.taskId));
  const rows = await db
    .select({
      key: keyExpression,
      calls: sql<string>`count(*)`,
      cacheHits: sql<string>`count(*) FILTER (WHERE ${calls.isCacheHit})`,
      inputTokens: sql<string>`coalesce(sum(${calls.inputTokens}), 0)`,
      outputTokens: sql<string>`coalesce(sum(${calls.outputTokens}), 0)`,
      cachedTokens: sql<string>`coalesce(sum(${calls.cachedTokens}), 0)`,
      costUsd: sql<string>`coalesce(sum(${calls.costUsd}), 0)`,
    })
    .from(calls)
    .where(and(...conditions))
    .groupBy(sql`1`)
    .orderBy(query.groupBy === 'day' ? sql`1` : sql`7 DESC`);
  return rows.map((row) => ({
    key: row.key,
    calls: Number(row.calls),
    cacheHits: Number(row.cacheHits),
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
    cachedTokens: Number(row.cachedTokens),
    costUsd: Number(row.costUsd),
  }));
}
