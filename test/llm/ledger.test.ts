// The ledger's durable write: a row is in llm_calls when write() resolves, and writing the same
// row again (a retry after its first write landed unseen) never adds a second one.
import { eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { createLedger, type LedgerEntry } from '../../src/llm/ledger.js';
import { createLogger } from '../../src/observability/index.js';
import { createLlmTestDatabase } from './helpers.js';

let database: Database;
let orgId: string;
beforeAll(async () => {
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(() => database.close());

const entry = (taskId: string): LedgerEntry => ({
  id: randomUUID(),
  orgId,
  projectId: null,
  taskId,
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
});

describe('the ledger', () => {
  it('has a written row in the database at once, and only once however often it is written', async () => {
    // A long batch delay: only write() itself can have put the row there.
    const ledger = createLedger({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      flushDelayMs: 60_000,
    });
    const taskId = randomUUID();
    const row = entry(taskId);
    await ledger.write(row);
    const rowsOf = () =>
      database.db.select().from(tables.llmCalls).where(eq(tables.llmCalls.taskId, taskId));
    expect(await rowsOf()).toHaveLength(1);
    await ledger.write(row);
    ledger.record(row);
    await ledger.flush();
    expect((await rowsOf()).map((stored) => [stored.id, stored.costUsd])).toEqual([
      [row.id, '0.00001500'],
    ]);
    await ledger.close();
  });
});
