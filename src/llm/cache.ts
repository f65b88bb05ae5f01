// The exact-match response cache for deterministic calls (temperature 0), in Postgres, keyed
// on the normalised request and the organization. It never serves another organization's rows.
import { createHash } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { FinishReason, GenerateRequest, TokenUsage, ToolCall } from './types.js';

/** What the cache keeps of an answer. */
export interface CachedResponse {
  model: string;
  provider: string;
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
}

/** Whether a request may be answered from, and stored in, the cache. */
export function isCacheable(request: GenerateRequest): boolean {
  return request.temperature === 0 && request.useCache !== false;
}

/** A stable hash of everything that shapes the answer, with object keys sorted. */
export function cacheKey(request: GenerateRequest): string {
  const { policy } = request;
  const normalised = {
    orgId: request.context.orgId,
    messages: request.messages,
    system: request.system ?? null,
    tools: request.tools ?? null,
    toolChoice: request.toolChoice ?? null,
    model: policy?.model ?? null,
    tier: policy?.tier ?? null,
    capabilities: [...(policy?.capabilities ?? [])].sort(),
    maxOutputTokens: request.maxOutputTokens ?? null,
    stopSequences: request.stopSequences ?? null,
    seed: request.seed ?? null,
  };
  return createHash('sha256').update(stableJson(normalised)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The unexpired answer for `key` in the organization, if any. */
export async function readCache(
  db: Db,
  orgId: string,
  key: string,
): Promise<CachedResponse | null> {
  const cache = tables.llmCache;
  const [row] = await db
    .select({ response: cache.response })
    .from(cache)
    .where(and(eq(cache.key, key), eq(cache.orgId, orgId), gt(cache.expiresAt, sql`now()`)));
  return row ? (row.response as CachedResponse) : null;
}

export interface WriteCacheOptions {
  orgId: string;
  key: string;
  response: CachedResponse;
  ttlSeconds: number;
}

/** Stores (or refreshes) an answer. */
export async function writeCache(db: Db, options: WriteCacheOptions): Promise<void> {
  const expiresAt = sql`now() + make_interval(secs => ${options.ttlSeconds})`;
  await db
    .insert(tables.llmCache)
    .values({
      key: options.key,
      orgId: options.orgId,
      model: options.response.model,
      response: options.response,
      expiresAt,
    })
    .onConflictDoUpdate({
      target: tables.llmCache.key,
      set: { response: options.response, model: options.response.model, expiresAt },
    });
}
