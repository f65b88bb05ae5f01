import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import {
  claimSteps,
  completeStep,
  enqueueSteps,
  failStep,
  renewLease,
  sweepExpiredLeases,
} from '../../src/orchestrator/work-queue.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';

let database: Database;
let owner: { orgId: string; projectId: string };
beforeAll(async () => {
  database = await createTestDatabase();
  owner = await createOrgAndProject(database.db);
});
afterAll(() => database.close());

async function statusOf(stepId: string) {
  const [row] = await database.db.select().from(tables.steps).where(eq(tables.steps.id, stepId));
  return row!;
}

describe('work queue', () => {
  it('hands each ready step to exactly one of many concurrent claimers', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 40);
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        claimSteps(database.db, { workerId: `w${index}`, limit: 6, leaseMs: 10_000 }),
      ),
    );
    const claimed = claims.flat().map((step) => step.stepId);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual([...stepIds].sort());
  });

  it('enqueues nothing when the transaction that enqueued rolls back', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await expect(
      database.db.transaction(async (tx) => {
        await enqueueSteps(tx, stepIds);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect((await statusOf(stepIds[0]!)).status).toBe('pending');
  });

  it('fences out a worker whose lease expired: only the new holder commits', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    const [first] = await claimSteps(database.db, { workerId: 'slow', limit: 1, leaseMs: 0 });
    expect(first).toBeDefined();
    expect((await sweepExpiredLeases(database.db)).length).toBeGreaterThanOrEqual(1);
    const [second] = await claimSteps(database.db, {
      workerId: 'fresh',
      limit: 1,
      leaseMs: 10_000,
    });
    expect(second!.stepId).toBe(first!.stepId);
    expect(second!.token).toBe(first!.token + 1);

    expect(await renewLease(database.db, first!, 10_000)).toBe(false);
    const stale = completeStep(database.db, first!, { by: 'slow' });
    await expect(stale).rejects.toBeInstanceOf(CadreError);
    await expect(stale).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await completeStep(database.db, second!, { by: 'fresh' });
    const row = await statusOf(first!.stepId);
    expect(row.status).toBe('done');
    expect(row.result).toEqual({ by: 'fresh' });
    expect(row.attempts).toBe(2);
  });

  it('retries a failed step after its backoff, then dead-letters it with its error', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await database.db
      .update(tables.steps)
      .set({ maxAttempts: 2 })
      .where(inArray(tables.steps.id, stepIds));
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));

    const [attempt1] = await claimSteps(database.db, { workerId: 'w', limit: 1, leaseMs: 10_000 });
    expect(
      await failStep(database.db, attempt1!, { error: 'flaky', backoffMs: () => 60_000 }),
    ).toBe('queued');
    // Not claimable before its backoff has passed.
    expect(await claimSteps(database.db, { workerId: 'w', limit: 10, leaseMs: 10_000 })).toEqual(
      [],
    );
    await database.db
      .update(tables.steps)
      .set({ runAfter: new Date(0) })
      .where(inArray(tables.steps.id, stepIds));

    const [attempt2] = await claimSteps(database.db, { workerId: 'w', limit: 1, leaseMs: 10_000 });
    expect(attempt2!.attempts).toBe(2);
    expect(await failStep(database.db, attempt2!, { error: 'still broken' })).toBe('dead');
    const row = await statusOf(stepIds[0]!);
    expect(row).toMatchObject({ status: 'dead', error: 'still broken' });
  });

  it('dead-letters at once an error that retrying cannot fix', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    const [step] = await claimSteps(database.db, { workerId: 'w', limit: 1, leaseMs: 10_000 });
    expect(await failStep(database.db, step!, { error: 'unknown role', isRetryable: false })).toBe(
      'dead',
    );
    expect((await statusOf(stepIds[0]!)).attempts).toBe(1);
  });

  it('runs the transition in the transaction that commits the step', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 2);
    await database.db.transaction((tx) => enqueueSteps(tx, [stepIds[0]!]));
    const [step] = await claimSteps(database.db, { workerId: 'w', limit: 1, leaseMs: 10_000 });
    await expect(
      completeStep(database.db, step!, { ok: true }, async (tx) => {
        await enqueueSteps(tx, [stepIds[1]!]);
        throw new Error('transition failed');
      }),
    ).rejects.toThrow('transition failed');
    expect((await statusOf(stepIds[0]!)).status).toBe('running');
    expect((await statusOf(stepIds[1]!)).status).toBe('pending');

    await completeStep(database.db, step!, { ok: true }, (tx) =>
      enqueueSteps(tx, [stepIds[1]!]).then(() => undefined),
    );
    expect((await statusOf(stepIds[0]!)).status).toBe('done');
    expect((await statusOf(stepIds[1]!)).status).toBe('queued');
  });
});
