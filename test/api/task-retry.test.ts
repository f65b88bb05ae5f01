// POST /api/tasks/:id/retry: a failed task runs again from its failed step, keeping the rest;
// bad input and the wrong state are refused and change nothing; other organizations get 404.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import { lockTask, setTaskStatus } from '../../src/orchestrator/index.js';
import {
  bearer,
  createOrganization,
  createTaskThroughApi,
  createTestApp,
  type TestApp,
} from '../helpers/app.js';
import { drivePlan } from '../helpers/drive-task.js';

let t: TestApp;
let projectId: string;
beforeAll(async () => {
  t = await createTestApp();
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: 'retry-api' },
  });
  projectId = project.json().id;
});
afterAll(() => t.close());

/** A task planned with one step, step.build, whose attempts all failed: the task failed. */
async function failedTask() {
  const taskId = await createTaskThroughApi(t, projectId, 'Build the route');
  await drivePlan(t.database.db, taskId);
  await t.database.db.transaction(async (tx) => {
    await tx
      .update(tables.steps)
      .set({ status: 'dead', attempts: 3, failures: 3, error: 'the model server answered 500' })
      .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, 'step.build')));
    const task = await lockTask(tx, taskId);
    await setTaskStatus(tx, () => undefined, task, 'failed', 'Step step.build failed');
  });
  return taskId;
}

const retry = (taskId: string, payload: Record<string, unknown>, key = t.adminKey) =>
  t.app.inject({
    method: 'POST',
    url: `/api/tasks/${taskId}/retry`,
    headers: bearer(key),
    payload,
  });

const snapshot = async (taskId: string) => ({
  task: (await t.database.db.select().from(tables.tasks).where(eq(tables.tasks.id, taskId)))[0],
  steps: await t.database.db.select().from(tables.steps).where(eq(tables.steps.taskId, taskId)),
  events: await t.database.db.select().from(tables.events).where(eq(tables.events.taskId, taskId)),
});

describe('retrying a task through the API', () => {
  it('queues the failed step again, keeps the plan, and answers the task', async () => {
    const taskId = await failedTask();
    const response = await retry(taskId, { description: 'Build the route, with tests' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: taskId,
      status: 'running',
      error: null,
      attempt: 2,
      description: 'Build the route, with tests',
      finishedAt: null,
      progress: { done: 0, total: 1 },
    });

    const steps = await t.app.inject({
      method: 'GET',
      url: `/api/tasks/${taskId}/steps`,
      headers: bearer(t.adminKey),
    });
    const items = steps.json().items as Array<Record<string, unknown>>;
    expect(items.map((step) => [step.key, step.status, step.attempt])).toEqual([
      ['plan.0', 'done', 1],
      ['step.build', 'superseded', 1],
      ['step.build', 'queued', 2],
    ]);
    // The earlier attempt's row keeps what happened to it.
    expect(items[1]).toMatchObject({ attempts: 3, error: 'the model server answered 500' });
    expect(items[2]).toMatchObject({ attempts: 0, failures: 0, error: null });

    const [audit] = await t.database.db
      .select()
      .from(tables.auditLog)
      .where(and(eq(tables.auditLog.targetId, taskId), eq(tables.auditLog.action, 'task-retried')));
    expect(audit).toMatchObject({
      action: 'task-retried',
      data: { attempt: 2, from: 'step.build' },
    });

    // Running now: a second retry is refused and changes nothing.
    const before = await snapshot(taskId);
    const again = await retry(taskId, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'INVALID_STATE' });
    expect(again.json().error.message).toMatch(/is running/);
    expect(await snapshot(taskId)).toEqual(before);
  });

  it('refuses an unknown step, both starting points at once, and a viewer, changing nothing', async () => {
    const taskId = await failedTask();
    const before = await snapshot(taskId);

    const unknown = await retry(taskId, { fromStep: 'step.nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(unknown.json().error.message).toMatch(/fromStep: .*no step "step\.nope".*step\.build/);

    const both = await retry(taskId, { fromStep: 'plan.0', fromStart: true });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.message).toMatch(/fromStart/);

    const empty = await retry(taskId, { description: '  ' });
    expect(empty.statusCode).toBe(400);

    // Retrying needs what creating a task needs: a viewer of the organization may not.
    const viewer = generateApiKey();
    await t.database.db.insert(tables.apiKeys).values({
      orgId: before.task!.orgId,
      name: 'viewer',
      prefix: viewer.prefix,
      keyHash: viewer.hash,
      role: 'viewer',
    });
    expect((await retry(taskId, {}, viewer.token)).statusCode).toBe(403);

    // This server holds no workspaces, so it cannot start the branch over.
    const fromStart = await retry(taskId, { fromStart: true });
    expect(fromStart.statusCode).toBe(503);
    expect(fromStart.json().error).toMatchObject({ code: 'WORKSPACES_UNAVAILABLE' });

    expect(await snapshot(taskId)).toEqual(before);
  });

  it('answers 404 for another organization’s task', async () => {
    const taskId = await failedTask();
    const other = await createOrganization(t.database, 'Retry others');
    const response = await retry(taskId, {}, other.key);
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'NOT_FOUND' });
    const [task] = await t.database.db
      .select()
      .from(tables.tasks)
      .where(eq(tables.tasks.id, taskId));
    expect(task).toMatchObject({ status: 'failed', attempt: 1 });
  });
});
