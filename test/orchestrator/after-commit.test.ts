// One after-commit path: events appended in a transaction reach the bus only once it has
// committed — on a step's commit and on the dead-letter path — and never after a rollback.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus, type BusMessage } from '../../src/bus/index.js';
import { tables, type Database } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createConductor,
  createWorker,
  emit,
  enqueueSteps,
  lockTask,
  recordEvents,
  createStepContext,
  taskTopic,
  type StepHandler,
} from '../../src/orchestrator/index.js';
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

/** Every message published on the task's topic, with what another connection saw then. */
async function watch(taskId: string, look: () => Promise<unknown> = async () => null) {
  const bus = createInProcessBus();
  const seen: Array<{ type: string; seenInDatabase: unknown }> = [];
  await bus.subscribe(taskTopic(owner.orgId, taskId), async (message: BusMessage) => {
    seen.push({ type: (message.payload as { type: string }).type, seenInDatabase: await look() });
  });
  return { bus, seen };
}

const eventTypes = async (taskId: string) =>
  (await database.db.select().from(tables.events).where(eq(tables.events.taskId, taskId))).map(
    (row) => row.type,
  );

describe('events and their transactions', () => {
  it('publishes nothing from a transaction that rolled back, and everything once one commits', async () => {
    const { taskId } = await createTaskWithSteps(database.db, owner, 1);
    const { bus, seen } = await watch(taskId);
    await expect(
      recordEvents(database.db, bus, async (tx, sink) => {
        await emit(tx, sink, await lockTask(tx, taskId), 'doomed-event');
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await recordEvents(database.db, bus, async (tx, sink) => {
      await emit(tx, sink, await lockTask(tx, taskId), 'kept-event');
    });
    expect(seen.map((entry) => entry.type)).toEqual(['kept-event']);
    expect(await eventTypes(taskId)).toEqual(['kept-event']);
  });

  it("never publishes the events of a step's transition when its commit rolls back", async () => {
    const { taskId, stepIds } = await createTaskWithSteps(database.db, owner, 1);
    const { bus, seen } = await watch(taskId);
    const [rows] = await database.db
      .select({ step: tables.steps, task: tables.tasks, project: tables.projects })
      .from(tables.steps)
      .innerJoin(tables.tasks, eq(tables.tasks.id, tables.steps.taskId))
      .innerJoin(tables.projects, eq(tables.projects.id, tables.tasks.projectId))
      .where(eq(tables.steps.id, stepIds[0]!));
    let runs = 0;
    const handler: StepHandler = async (claimed, signal) => {
      runs += 1;
      const context = createStepContext({ db: database.db, bus, claimed, rows: rows!, signal });
      return context.outcome({ run: runs }, 'idle', async (tx, sink) => {
        await emit(tx, sink, await lockTask(tx, taskId), `transition-${runs}`);
        if (runs === 1) throw new Error('the transition failed');
      });
    };
    const worker = createWorker({ database, handler, logger, backoffMs: () => 0 });
    await worker.start();
    try {
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      await waitFor('the second run to commit', () => seen.length > 0);
      expect(seen.map((entry) => entry.type)).toEqual(['transition-2']);
      expect(await eventTypes(taskId)).toEqual(['transition-2']);
    } finally {
      await worker.stop();
    }
  });

  it('publishes the dead-letter path’s events only after the dead-lettering committed', async () => {
    const { taskId, stepIds } = await createTaskWithSteps(database.db, owner, 1);
    // What another connection sees when each event arrives: the task failed, or not yet.
    const { bus, seen } = await watch(taskId, async () => {
      const [task] = await database.db
        .select({ status: tables.tasks.status })
        .from(tables.tasks)
        .where(eq(tables.tasks.id, taskId));
      return task!.status;
    });
    const conductor = createConductor({
      database,
      bus,
      logger,
      gateway: { generate: () => Promise.reject(new Error('no model in this test')) },
      workspaces: {} as never,
    });
    const handler: StepHandler = async () => {
      throw new CadreError('NOT_FOUND', 'the role is gone');
    };
    const worker = createWorker({
      database,
      handler,
      logger,
      isRetryable: conductor.isRetryable,
      // The dead-lettering transaction lingers after the task is failed in it: an event
      // published before its commit would find the task not yet failed.
      onDead: async (tx, ids, error) => {
        const publish = await conductor.onDead(tx, ids, error);
        await tx.execute(sql`SELECT pg_sleep(0.3)`);
        return publish;
      },
    });
    await worker.start();
    try {
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      await waitFor('the dead-letter events', () => seen.length === 2);
      expect(seen).toEqual([
        { type: 'step-dead', seenInDatabase: 'failed' },
        { type: 'task-failed', seenInDatabase: 'failed' },
      ]);
    } finally {
      await worker.stop();
    }
  });
});
