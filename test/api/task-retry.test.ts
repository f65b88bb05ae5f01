// POST /api/tasks/:id/retry: a failed task runs again from its failed step, keeping the rest;
// bad input and the wrong state are refused and change nothing; other organizations get 404.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import {
  afterGate,
  afterWork,
  cancelTask,
  lockTask,
  setTaskStatus,
} from '../../src/orchestrator/index.js';
import {
  bearer,
  createOrganization,
  createTaskThroughApi,
  createTestApp,
  type TestApp,
} from '../helpers/app.js';
import { driveToMergeApproval, drivePlan, finishStep } from '../helpers/drive-task.js';

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

  it('of a task cancelled at its merge approval closes the approval and makes the merge again', async () => {
    const taskId = await createTaskThroughApi(t, projectId, 'Ship the route');
    const [row] = await t.database.db
      .select()
      .from(tables.tasks)
      .where(eq(tables.tasks.id, taskId));
    const approvalId = await driveToMergeApproval(t.database.db, row!.orgId, taskId);
    await cancelTask(t.database.db, row!.orgId, taskId);
    // The project asks for approval before merging: the retried merge waits for a new one.
    await t.database.db
      .update(tables.projects)
      .set({ approveBeforeMerge: true })
      .where(eq(tables.projects.id, projectId));

    const response = await retry(taskId, {});
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'waiting', attempt: 2 });
    const steps = await t.database.db
      .select()
      .from(tables.steps)
      .where(eq(tables.steps.taskId, taskId))
      .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key));
    const merges = steps.filter((step) => step.kind === 'merge');
    expect(merges.map((step) => [step.key, step.status, step.attempt])).toEqual([
      ['merge', 'superseded', 1],
      ['merge', 'waiting', 2],
    ]);
    // The gates and the work stay as they were.
    expect(
      steps.filter((step) => step.kind !== 'merge').map((step) => [step.key, step.status]),
    ).toEqual([
      ['plan.0', 'done'],
      ['step.build', 'done'],
      ['review.0', 'done'],
      ['test.0', 'done'],
    ]);
    const approvals = await t.database.db
      .select()
      .from(tables.approvals)
      .where(eq(tables.approvals.taskId, taskId));
    expect(approvals.find((approval) => approval.id === approvalId)).toMatchObject({
      status: 'rejected',
      answer: expect.stringMatching(/retried/),
    });
    expect(approvals.filter((approval) => approval.status === 'pending')).toHaveLength(1);
    await t.database.db
      .update(tables.projects)
      .set({ approveBeforeMerge: false })
      .where(eq(tables.projects.id, projectId));
  });

  it('from a dead review runs that review again and keeps the test of its round', async () => {
    const taskId = await createTaskThroughApi(t, projectId, 'Review the route');
    const db = t.database.db;
    await drivePlan(db, taskId);
    await finishStep(db, taskId, 'step.build', null, (tx, task) =>
      afterWork(tx, () => undefined, task, null),
    );
    await finishStep(db, taskId, 'test.0', { passed: true, report: 'ok' }, (tx, task) =>
      afterGate(tx, () => undefined, task, 0, false),
    );
    await db.transaction(async (tx) => {
      await tx
        .update(tables.steps)
        .set({ status: 'dead', error: 'the reviewer model answered 500' })
        .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, 'review.0')));
      await setTaskStatus(tx, () => undefined, await lockTask(tx, taskId), 'failed', 'review.0');
    });

    expect((await retry(taskId, {})).statusCode).toBe(200);
    const current = async () =>
      (
        await db
          .select()
          .from(tables.steps)
          .where(eq(tables.steps.taskId, taskId))
          .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key))
      )
        .filter((step) => step.status !== 'superseded')
        .map((step) => [step.key, step.status]);
    expect(await current()).toEqual([
      ['plan.0', 'done'],
      ['step.build', 'done'],
      ['test.0', 'done'],
      ['review.0', 'queued'],
    ]);
    // When the review passes, the round is complete: the merge is queued.
    await finishStep(db, taskId, 'review.0', { approved: true, feedback: '' }, (tx, task) =>
      afterGate(tx, () => undefined, task, 0, false),
    );
    expect(await current()).toContainEqual(['merge', 'queued']);
  });

  it('waits for a cancelled step that is still stopping', async () => {
    const taskId = await createTaskThroughApi(t, projectId, 'Stop slowly');
    const [row] = await t.database.db
      .select()
      .from(tables.tasks)
      .where(eq(tables.tasks.id, taskId));
    await drivePlan(t.database.db, taskId);
    // Its worker has not seen the cancellation yet: the step still runs.
    await t.database.db
      .update(tables.steps)
      .set({ status: 'running' })
      .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, 'step.build')));
    await cancelTask(t.database.db, row!.orgId, taskId);
    const before = await snapshot(taskId);
    const response = await retry(taskId, {});
    expect(response.statusCode).toBe(409);
    expect(response.json().error.message).toMatch(/step\.build .* still stopping/);
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
