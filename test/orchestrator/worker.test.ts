import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createWorker, type StepHandler } from '../../src/orchestrator/worker.js';
import { enqueueSteps } from '../../src/orchestrator/work-queue.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

let database: Database;
let owner: { orgId: string; projectId: string };
const logger = createLogger({ level: 'silent' });
beforeAll(async () => {
  database = await createTestDatabase();
  owner = await createOrgAndProject(database.db);
});
afterAll(() => database.close());

const stepsOf = (ids: string[]) =>
  database.db.select().from(tables.steps).where(inArray(tables.steps.id, ids));

describe('worker', () => {
  it('wakes on enqueue and runs every step exactly once across two workers', async () => {
    const handled: string[] = [];
    const handler: StepHandler = async (step) => {
      handled.push(step.stepId);
      return { result: { key: step.key } };
    };
    // A long poll interval: only the NOTIFY at enqueue can make these workers start in time.
    const workers = [1, 2].map((n) =>
      createWorker({ database, handler, logger, workerId: `w${n}`, pollMs: 60_000 }),
    );
    await Promise.all(workers.map((worker) => worker.start()));
    try {
      const { stepIds } = await createTaskWithSteps(database.db, owner, 20);
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      await waitFor('all steps done', async () =>
        (await stepsOf(stepIds)).every((step) => step.status === 'done'),
      );
      expect([...handled].sort()).toEqual([...stepIds].sort());
      const rows = await stepsOf(stepIds);
      expect(rows.map((row) => row.result)).toEqual(
        expect.arrayContaining([{ key: 's1' }, { key: 's20' }]),
      );
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it('keeps a long step leased by heartbeats, so no other worker takes it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const starts: string[] = [];
    const handler: StepHandler = async (step) => {
      starts.push(step.stepId);
      await released;
      return { result: 'slow but fine' };
    };
    const options = { database, handler, logger, leaseMs: 300, heartbeatMs: 50, sweepMs: 50 };
    const workers = [
      createWorker({ ...options, workerId: 'a' }),
      createWorker({ ...options, workerId: 'b' }),
    ];
    await Promise.all(workers.map((worker) => worker.start()));
    try {
      const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      const first = await waitFor('the step to be claimed', async () =>
        (await stepsOf(stepIds)).find((s) => s.status === 'running'),
      );
      // Outlive the lease several times over: renewals must move its expiry forward.
      const expiries = new Set<number>();
      await waitFor('five lease renewals', async () => {
        const [row] = await database.db
          .select()
          .from(tables.steps)
          .where(eq(tables.steps.id, first.id));
        expiries.add(row!.leaseExpiresAt!.getTime());
        return expiries.size >= 5;
      });
      release();
      await waitFor('the step done', async () => (await stepsOf(stepIds))[0]!.status === 'done');
      expect(starts).toEqual(stepIds);
      expect((await stepsOf(stepIds))[0]!.attempts).toBe(1);
    } finally {
      release();
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it('retries a step whose handler failed, and dead-letters it after its last attempt', async () => {
    const attempts: number[] = [];
    const handler: StepHandler = async (step) => {
      attempts.push(step.attempts);
      throw new Error(`attempt ${step.attempts} broke`);
    };
    const worker = createWorker({ database, handler, logger, backoffMs: () => 0 });
    await worker.start();
    try {
      const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
      await database.db
        .update(tables.steps)
        .set({ maxAttempts: 3 })
        .where(inArray(tables.steps.id, stepIds));
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      await waitFor(
        'the step dead-lettered',
        async () => (await stepsOf(stepIds))[0]!.status === 'dead',
      );
      expect(attempts).toEqual([1, 2, 3]);
      expect((await stepsOf(stepIds))[0]!.error).toBe('attempt 3 broke');
    } finally {
      await worker.stop();
    }
  });
});
