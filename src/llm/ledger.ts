// The cost ledger: one llm_calls row per provider attempt, refusal and cache hit. Rows are
// written in batches off the response path; a failed write is retried, never dropped silently.
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { Logger } from '../observability/index.js';

export type CallStatus = 'ok' | 'error' | 'cancelled' | 'refused';

export interface LedgerEntry {
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
  routeReason: string | null;
  isCacheHit: boolean;
  createdAt: Date;
}

export interface Ledger {
  record(entry: LedgerEntry): void;
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
}

/** A batching ledger writer. */
export function createLedger({
  db,
  logger,
  flushDelayMs = 20,
  maxBatch = 500,
}: LedgerOptions): Ledger {
  let buffer: LedgerEntry[] = [];
  let inFlight: LedgerEntry[] = [];
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const writeOnce = async () => {
    inFlight = buffer.splice(0, maxBatch);
    try {
      await db
        .insert(tables.llmCalls)
        .values(inFlight.map((entry) => ({ ...entry, costUsd: entry.costUsd.toFixed(8) })));
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
  return {
    record: (entry) => {
      buffer.push(entry);
      if (buffer.length >= maxBatch) void flush().catch(() => schedule());
      else schedule();
    },
    pending: () => [...inFlight, ...buffer],
    flush,
    close: flush,
  };
}
