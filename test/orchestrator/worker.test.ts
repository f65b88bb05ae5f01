import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createWorker, type StepHandler } from '../../src/orchestrator/worker.js';
import { enqueueSteps } from '../../src/orchestrator/work-queue.js';
import { createTestClock } from '../helpers/clock.js';
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
    // Leases, heartbeats and sweeps all run on a fake clock that only the test moves.
    const clock = createTestClock();
    const leaseMs = 300;
    const options = { database, handler, logger, leaseMs, heartbeatMs: 50, sweepMs: 50, clock };
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
      // Outlive the lease several times over: each heartbeat must move its expiry forward,
      // and the other worker's sweeps, running on the same clock, must leave it alone.
      for (let beat = 1; beat <= 20; beat++) {
        // Both workers' sweeps and polls, and the holder's heartbeat, are asleep on the clock.
        await waitFor('every timer asleep', () => clock.sleepers === 5);
        clock.advance(50);
        await waitFor(`heartbeat ${beat}`, async () => {
          const [row] = await database.db
            .select()
            .from(tables.steps)
            .where(eq(tables.steps.id, first.id));
          return row!.leaseExpiresAt!.getTime() === clock.now() + leaseMs;
        });
      }
      release();
      await waitFor('the step done', async () => (await stepsOf(stepIds))[0]!.status === 'done');
      expect(starts).toEqual(stepIds);
      expect((await stepsOf(stepIds))[0]).toMatchObject({ attempts: 1, leaseExpiries: 0 });
    } finally {
      release();
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it("has a dead worker's step taken over once its lease expires on the clock", async () => {
    const clock = createTestClock();
    const starts: string[] = [];
    let hang = true;
    const handler: StepHandler = async (step, signal) => {
      starts.push(step.key);
      // The first run hangs as a killed process would: it never renews, never answers.
      if (hang) {
        hang = false;
        await new Promise((_resolve, reject) => signal.addEventListener('abort', reject));
      }
      return { result: 'resumed' };
    };
    const stuck = createWorker({
      database,
      handler,
      logger,
      workerId: 'stuck',
      clock,
      leaseMs: 1_000,
      heartbeatMs: 60_000,
      sweepMs: 60_000,
    });
    const rescuer = createWorker({
      database,
      handler,
      logger,
      workerId: 'rescuer',
      clock,
      leaseMs: 1_000,
      sweepMs: 100,
    });
    await stuck.start();
    try {
      const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      await waitFor('the stuck worker to take the step', () => starts.length === 1);
      await rescuer.start();
      expect((await stepsOf(stepIds))[0]).toMatchObject({ status: 'running', workerId: 'stuck' });
      clock.advance(1_100);
      const [row] = await waitFor('the rescuer to finish the step', async () => {
        const rows = await stepsOf(stepIds);
        return rows[0]!.status === 'done' ? rows : null;
      });
      expect(row).toMatchObject({ attempts: 2, failures: 0, leaseExpiries: 1, result: 'resumed' });
    } finally {
      await rescuer.stop();
      await stuck.stop();
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
      const [row] = await stepsOf(stepIds);
      expect(row).toMatchObject({ error: 'attempt 3 broke', failures: 3 });
      expect(row!.attemptErrors).toMatchObject(
        [1, 2, 3].map((attempt) => ({ attempt, message: `attempt ${attempt} broke` })),
      );
    } finally {
      await worker.stop();
    }
  });
});
