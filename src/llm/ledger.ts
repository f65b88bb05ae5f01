// The cost ledger: one llm_calls row per provider attempt, refusal and cache hit. A provider
// attempt's row is written before its answer is used (write); the rest in batches off the
// response path (record). Each row carries its own id, so a retried write never inserts twice.
import { sql } from 'drizzle-orm';
import { setTimeout as delay } from 'node:timers/promises';
import type { Db } from '../db/index.js';
import { backoffDelayMs, isConnectionError, tables } from '../db/index.js';
import type { Logger } from '../observability/index.js';

export type CallStatus = 'ok' | 'error' | 'cancelled' | 'refused';

export interface LedgerEntry {
  /** Chosen before the write: the key that makes every retry of it idempotent. */
  id: string;
  orgId: string;
  projectId: string | null;
  taskId: string | null;
  stepId: string | null;
  agentId: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  latencyMs: number;
  status: CallStatus;
  errorCode: string | null;
  /** A failed attempt's provider error, in its own words (secrets hidden). */
  errorMessage: string | null;
  routeReason: string | null;
  isCacheHit: boolean;
  createdAt: Date;
}

export interface Ledger {
  /** Queues a row for the next batch. */
  record(entry: LedgerEntry): void;
  /**
   * Writes a row now and resolves once it is in the database, so that a process dying right
   * after still has it counted. While the database is unreachable it tries again for up to
   * `writeWaitMs`; after that, or on any other failure, the row falls back to the batch
   * (retried), and the write resolves.
   */
  write(entry: LedgerEntry): Promise<void>;
  /** Rows recorded but not yet in the database (budgets count them too). */
  pending(): readonly LedgerEntry[];
  /** Writes every pending row; resolves once they are in the database. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface LedgerOptions {
  db: Db;
  logger: Logger;
  /** How long a row may wait for companions before the batch is written. */
  flushDelayMs?: number;
  maxBatch?: number;
  /** How long write() waits for an unreachable database (a restart) before batching the row. */
  writeWaitMs?: number;
}

/** A batching ledger writer. */
export function createLedger({
  db,
  logger,
  flushDelayMs = 20,
  maxBatch = 500,
  writeWaitMs = 15_000,
}: LedgerOptions): Ledger {
  let buffer: LedgerEntry[] = [];
  let inFlight: LedgerEntry[] = [];
  // Rows written one by one (write), counted by budgets until they are in.
  const writingNow = new Set<LedgerEntry>();
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const writeOnce = async () => {
    inFlight = buffer.splice(0, maxBatch);
    try {
      await insertRows(db, inFlight);
    } catch (error) {
      // Keep the rows: the next flush tries again.
      buffer = [...inFlight, ...buffer];
      logger.error({ err: error, rows: inFlight.length }, 'llm ledger write failed; will retry');
      throw error;
    } finally {
      inFlight = [];
    }
  };
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    while (writing) await writing.catch(() => undefined);
    while (buffer.length > 0) {
      writing = writeOnce();
      try {
        await writing;
      } finally {
        writing = null;
      }
    }
  };
  // After a failed write, wait longer (up to 5 s) before the next, instead of hammering.
  let failures = 0;
  const schedule = () => {
    if (timer) return;
    const delay = failures === 0 ? flushDelayMs : Math.min(5_000, flushDelayMs * 2 ** failures);
    timer = setTimeout(() => {
      timer = null;
      flush().then(
        () => (failures = 0),
        () => {
          failures += 1;
          schedule();
        },
      );
    }, delay);
    timer.unref();
  };
  const record = (entry: LedgerEntry) => {
    buffer.push(entry);
    if (buffer.length >= maxBatch) void flush().catch(() => schedule());
    else schedule();
  };
  return {
    record,
    write: async (entry) => {
      writingNow.add(entry);
      try {
        // Committed without waiting for the WAL flush: once Postgres has the row, a worker
        // dying cannot lose it (only a crash of Postgres's own machine within the WAL writer's
        // delay could), and the answer is not held up by an fsync.
        await insertWaiting(db, entry, writeWaitMs);
      } catch (error) {
        logger.error({ err: error }, 'llm ledger write failed; the row waits for the next batch');
        record(entry);
      } finally {
        writingNow.delete(entry);
      }
    },
    pending: () => [...inFlight, ...writingNow, ...buffer],
    flush,
    close: flush,
  };
}

/**
 * insertNow, tried again (100 ms doubling to 2 s) while the database is unreachable, for up to
 * `waitMs`: a Postgres restart takes seconds, and an answer handed over before its row is in
 * would be lost, unpaid, by a worker killed meanwhile. The row's id makes a retry harmless.
 */
async function insertWaiting(db: Db, entry: LedgerEntry, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertNow(db, entry);
    } catch (error) {
      const wait = backoffDelayMs(attempt, { initialMs: 100, maxMs: 2_000 });
      if (!isConnectionError(error) || Date.now() + wait > deadline) throw error;
      await delay(wait);
    }
  }
}

/** Inserts rows; a row whose id is already there (a write retried after it landed) is skipped. */
async function insertRows(db: Db, entries: readonly LedgerEntry[]) {
  await db
    .insert(tables.llmCalls)
    .values(entries.map((entry) => ({ ...entry, costUsd: entry.costUsd.toFixed(8) })))
    .onConflictDoNothing({ target: tables.llmCalls.id });
}

/**
 * Inserts one row in one round trip, committed without waiting for the WAL flush (the
 * statement's own transaction sets synchronous_commit off before it commits).
 */
async function insertNow(db: Db, entry: LedgerEntry) {
  await db.execute(sql`
    INSERT INTO llm_calls (id, org_id, project_id, task_id, step_id, agent_id, provider, model,
      input_tokens, output_tokens, cached_tokens, cost_usd, latency_ms, status, error_code,
      error_message, route_reason, is_cache_hit, created_at)
    SELECT ${entry.id}::uuid, ${entry.orgId}::uuid, ${entry.projectId}::uuid, ${entry.taskId}::uuid,
      ${entry.stepId}::uuid, ${entry.agentId}::uuid, ${entry.provider}, ${entry.model},
      ${entry.inputTokens}::int, ${entry.outputTokens}::int, ${entry.cachedTokens}::int,
      ${entry.costUsd.toFixed(8)}::numeric, ${Math.round(entry.latencyMs)}::int, ${entry.status},
      ${entry.errorCode}, ${entry.errorMessage}, ${entry.routeReason}, ${entry.isCacheHit}::boolean,
      ${entry.createdAt.toISOString()}::timestamptz
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
    ON CONFLICT (id) DO NOTHING`);
}
