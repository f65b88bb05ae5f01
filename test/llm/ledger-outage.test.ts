// The ledger's durable write across a Postgres restart: an answer's row is in llm_calls when
// write() resolves, even when the server was away at that moment, so that a worker killed
// right after it cannot lose the row (found by the chaos suite's ledger check).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectDatabase,
  migrate,
  startEmbeddedPostgres,
  tables,
  type Database,
  type EmbeddedPostgres,
} from '../../src/db/index.js';
import { createLedger } from '../../src/llm/ledger.js';
import { createLogger } from '../../src/observability/index.js';

const settings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
let folder: string;
let postgres: EmbeddedPostgres;
let database: Database;
let orgId: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cadre-ledger-outage-'));
  postgres = await startEmbeddedPostgres({ dataDir: folder, settings });
  database = connectDatabase({ url: postgres.url, poolSize: 2 });
  await migrate(database.pool);
  const [org] = await database.db
    .insert(tables.organizations)
    .values({ name: 'ledger', slug: `ledger-${randomUUID()}` })
    .returning();
  orgId = org!.id;
}, 120_000);
afterAll(async () => {
  await database?.close();
  await postgres?.stop();
  await rm(folder, { recursive: true, force: true });
});

describe('a ledger write while Postgres restarts', () => {
  it('resolves once the row is in the database, not before', async () => {
    // A long batch delay: only write() itself can put the row there in time.
    const ledger = createLedger({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      flushDelayMs: 60_000,
    });
    const id = randomUUID();
    await postgres.stop();
    let isWritten = false;
    const writing = ledger
      .write({
        id,
        orgId,
        projectId: null,
        taskId: null,
        stepId: null,
        agentId: null,
        provider: 'fake',
        model: 'fake/model',
        inputTokens: 10,
        outputTokens: 5,
        cachedTokens: 0,
        costUsd: 0.000015,
        latencyMs: 12,
        status: 'ok',
        errorCode: null,
        errorMessage: null,
        routeReason: 'test',
        isCacheHit: false,
        createdAt: new Date(),
      })
      .then(() => (isWritten = true));
    await delay(1_000);
    // The server is away: the answer must not be handed over yet.
    expect(isWritten).toBe(false);
    postgres = await startEmbeddedPostgres({ dataDir: folder, port: postgres.port, settings });
    await writing;
    expect(ledger.pending()).toEqual([]);
    const rows = await database.db.select().from(tables.llmCalls).where(eq(tables.llmCalls.id, id));
    expect(rows).toHaveLength(1);
    await ledger.close();
  }, 60_000);
});
