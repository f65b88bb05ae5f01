// Kills are not failures: a step whose workers die has its lease expire (on a fake clock) and
// goes back to the queue without spending an attempt, up to its own bound; every failed
// attempt and expired lease is kept on the step.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  claimSteps,
  createWorker,
  enqueueSteps,
  sweepExpiredLeases,
  type StepHandler,
} from '../../src/orchestrator/index.js';
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

const leaseMs = 10_000;

async function stepRow(stepId: string) {
  const [row] = await database.db.select().from(tables.steps).where(eq(tables.steps.id, stepId));
  return row!;
}

/** A worker that claims the step and is SIGKILLed at once: it never renews nor commits. */
async function claimAndDie(workerId: string, now: number) {
  const claimed = await claimSteps(database.db, {
    workerId,
    limit: 1,
    leaseMs,
    now: new Date(now),
  });
  expect(claimed).toHaveLength(1);
  return claimed[0]!;
}

describe('a step whose workers die', () => {
  it('is re-queued after each expired lease without spending an attempt, and ends done when a worker survives', async () => {
    const clock = createTestClock();
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    const [stepId] = stepIds as [string];
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));

    for (const victim of ['killed-1', 'killed-2', 'killed-3']) {
      await claimAndDie(victim, clock.now());
      // Not yet expired: nothing moves.
      expect(await sweepExpiredLeases(database.db, { now: new Date(clock.now()) })).toEqual([]);
      clock.advance(leaseMs + 1);
      const swept = await sweepExpiredLeases(database.db, { now: new Date(clock.now()) });
      expect(swept).toMatchObject([{ stepId, status: 'queued', workerId: victim }]);
    }
    // Three claims, three deaths: its three attempts (max_attempts) are untouched.
    const afterKills = await stepRow(stepId);
    expect(afterKills).toMatchObject({
      status: 'queued',
      attempts: 3,
      maxAttempts: 3,
      failures: 0,
      leaseExpiries: 3,
    });
    expect(afterKills.attemptErrors).toMatchObject([
      { attempt: 1, code: 'STEP_LEASE_EXPIRED', workerId: 'killed-1' },
      { attempt: 2, code: 'STEP_LEASE_EXPIRED', workerId: 'killed-2' },
      { attempt: 3, code: 'STEP_LEASE_EXPIRED', workerId: 'killed-3' },
    ]);

    const handler: StepHandler = async (step) => ({ result: { survivedOnAttempt: step.attempts } });
    const survivor = createWorker({
      database,
      handler,
      logger,
      workerId: 'survivor',
      clock,
      leaseMs,
    });
    await survivor.start();
    try {
      const done = await waitFor('the survivor to finish the step', async () => {
        const row = await stepRow(stepId);
        return row.status === 'done' ? row : null;
      });
      expect(done).toMatchObject({ result: { survivedOnAttempt: 4 }, failures: 0, error: null });
    } finally {
      await survivor.stop();
    }
  });

  it('is dead-lettered with a clear reason once its leases expired past the bound, failing its task after commit', async () => {
    const clock = createTestClock();
    const { stepIds, taskId } = await createTaskWithSteps(database.db, owner, 1);
    const [stepId] = stepIds as [string];
    await database.db
      .update(tables.steps)
      .set({ maxLeaseExpiries: 2 })
      .where(eq(tables.steps.id, stepId));
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    const deadLettered: Array<{ stepId: string; error: string | null }> = [];
    const committed: boolean[] = [];

    await claimAndDie('killed-1', clock.now());
    clock.advance(leaseMs + 1);
    await sweepExpiredLeases(database.db, { now: new Date(clock.now()) });
    await claimAndDie('killed-2', clock.now());
    clock.advance(leaseMs + 1);
    const swept = await sweepExpiredLeases(database.db, {
      now: new Date(clock.now()),
      onDead: async (tx, step) => {
        deadLettered.push({ stepId: step.stepId, error: step.error });
        await tx.update(tables.tasks).set({ status: 'failed' }).where(eq(tables.tasks.id, taskId));
        // What it returns runs after the commit: the task's failure is visible to others then.
        return async () => {
          const [task] = await database.db
            .select()
            .from(tables.tasks)
            .where(eq(tables.tasks.id, taskId));
          committed.push(task!.status === 'failed');
        };
      },
    });
    expect(swept).toMatchObject([{ stepId, status: 'dead', leaseExpiries: 2 }]);
    expect(committed).toEqual([true]);
    const row = await stepRow(stepId);
    expect(row).toMatchObject({ status: 'dead', failures: 0, leaseExpiries: 2 });
    expect(row.error).toMatch(/workers running this step kept dying: its lease expired 2 times/);
    expect(row.error).toContain('killed-2');
    expect(deadLettered).toEqual([{ stepId, error: row.error }]);
  });

  it('is handed straight back, spending nothing, by a worker that stops while running it', async () => {
    const clock = createTestClock();
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    const [stepId] = stepIds as [string];
    let started = false;
    const handler: StepHandler = async (_step, signal) => {
      started = true;
      await new Promise((_resolve, reject) => signal.addEventListener('abort', reject));
      return { result: 'never' };
    };
    const worker = createWorker({ database, handler, logger, workerId: 'leaving', clock });
    await worker.start();
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    await waitFor('the step to start', () => started);
    await worker.stop();
    // Queued again at once, for any worker, with no failure, no expiry and no error kept.
    expect(await stepRow(stepId)).toMatchObject({
      status: 'queued',
      attempts: 1,
      failures: 0,
      leaseExpiries: 0,
      attemptErrors: [],
      workerId: null,
    });
  });

  it('keeps every failed attempt with its code, message, worker and time', async () => {
    const clock = createTestClock();
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    const [stepId] = stepIds as [string];
    const handler: StepHandler = async (step) => {
      if (step.attempts === 1) throw new CadreError('GIT_FAILED', 'git config failed: locked');
      if (step.attempts === 2) throw new Error('disk full');
      return { result: 'third time' };
    };
    const worker = createWorker({
      database,
      handler,
      logger,
      workerId: 'flaky',
      clock,
      backoffMs: () => 5_000,
    });
    await worker.start();
    try {
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      for (const failures of [1, 2]) {
        await waitFor(`failure ${failures} recorded`, async () => {
          const row = await stepRow(stepId);
          return row.failures === failures && row.status === 'queued';
        });
        // The backoff runs on the fake clock: only advancing it lets the retry start, once
        // the worker's sweep and poll are asleep on it.
        await waitFor('the worker idle', () => clock.sleepers === 2);
        clock.advance(5_000);
      }
      const row = await waitFor('the step done', async () => {
        const current = await stepRow(stepId);
        return current.status === 'done' ? current : null;
      });
      expect(row).toMatchObject({ attempts: 3, failures: 2 });
      expect(row.attemptErrors).toMatchObject([
        { attempt: 1, code: 'GIT_FAILED', message: 'git config failed: locked', workerId: 'flaky' },
        { attempt: 2, code: 'ERROR', message: 'disk full', workerId: 'flaky' },
      ]);
      const times = (row.attemptErrors as Array<{ at: string }>).map((entry) =>
        Date.parse(entry.at),
      );
      expect(times[1]! - times[0]!).toBe(5_000);
    } finally {
      await worker.stop();
    }
  });
});

describe('a step put back after its worker died', () => {
  it('keeps its place in the queue, ahead of steps that became runnable after it', async () => {
    // A database of its own: no step of the tests above may be in the queue.
    const own = await createTestDatabase();
    try {
      const clock = createTestClock();
      const ids = await createOrgAndProject(own.db);
      const started = await createTaskWithSteps(own.db, ids, 1);
      await own.db.transaction((tx) => enqueueSteps(tx, started.stepIds));
      const [claimed] = await claimSteps(own.db, {
        workerId: 'killed',
        limit: 1,
        leaseMs,
        now: new Date(clock.now()),
      });
      expect(claimed?.stepId).toBe(started.stepIds[0]);
      // Work queued while the step runs, then its worker dies and its lease expires.
      const later = await createTaskWithSteps(own.db, ids, 1);
      await own.db.transaction((tx) => enqueueSteps(tx, later.stepIds));
      clock.advance(leaseMs + 1);
      await sweepExpiredLeases(own.db, { now: new Date(clock.now()) });

      const next = await claimSteps(own.db, {
        workerId: 'survivor',
        limit: 1,
        leaseMs,
        now: new Date(clock.now()),
      });
      expect(next.map((step) => step.stepId)).toEqual(started.stepIds);
    } finally {
      await own.close();
    }
  });
});
