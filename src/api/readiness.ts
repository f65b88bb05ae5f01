// What /readyz reports: each dependency this process needs (the database, the bus, Redis when
// configured), each with its state. A check never hangs the probe: each has a deadline.
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { Bus } from '../bus/index.js';
import type { Database } from '../db/index.js';
import type { ErrorCode } from '../errors/index.js';

export interface DependencyState {
  status: 'up' | 'down';
  /** What it is, e.g. the bus's kind. */
  kind?: string;
  /** Why it is down, in words. */
  reason?: string;
  latencyMs?: number;
}

export interface ReadinessReport {
  isReady: boolean;
  dependencies: Record<string, DependencyState>;
  /** The error code of the first dependency that is down. */
  code?: ErrorCode;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

export interface ReadinessOptions {
  database: Database;
  bus?: Bus;
  redisUrl?: string;
  /** How long one check may take before it counts as down. */
  timeoutMs?: number;
}

const codes: Record<string, ErrorCode> = {
  database: 'DATABASE_UNAVAILABLE',
  bus: 'BUS_UNAVAILABLE',
  redis: 'REDIS_UNAVAILABLE',
};

/** The checks of this process's dependencies; close() releases the Redis connection. */
export function createReadiness(options: ReadinessOptions): Readiness {
  const { database, bus, redisUrl, timeoutMs = 2_000 } = options;
  // One connection for the probe, opened on the first check; it never queues commands while
  // disconnected, so a check answers at once when Redis is down.
  const redis = redisUrl
    ? new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    : null;
  redis?.on('error', () => undefined); // the next check reports it

  const checks: Record<string, () => Promise<DependencyState>> = {
    database: () =>
      timed(async () => {
        await database.db.execute(sql`SELECT 1`);
      }, timeoutMs),
    ...(bus && {
      bus: async () => {
        const health = bus.health();
        return health.isConnected
          ? { status: 'up', kind: health.kind }
          : { status: 'down', kind: health.kind, reason: health.reason ?? 'not connected' };
      },
    }),
    ...(redis && {
      redis: () =>
        timed(async () => {
          if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
          await redis.ping();
        }, timeoutMs),
    }),
  };

  return {
    async check() {
      const names = Object.keys(checks);
      const states = await Promise.all(names.map((name) => checks[name]!()));
      const dependencies = Object.fromEntries(names.map((name, index) => [name, states[index]!]));
      const down = names.find((name) => dependencies[name]!.status === 'down');
      return down
        ? { isReady: false, dependencies, code: codes[down] }
        : { isReady: true, dependencies };
    },
    async close() {
      redis?.disconnect();
    },
  };
}

async function timed(work: () => Promise<void>, timeoutMs: number): Promise<DependencyState> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([work(), deadline]);
    return { status: 'up', latencyMs: Date.now() - started };
  } catch (error) {
    return { status: 'down', reason: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A driver's error in a few words, never a connection string. */
function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = (message ?? String(error)).replace(/\/\/[^@\s]*@/g, '//');
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
