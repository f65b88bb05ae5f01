// Human approval gates through the API: a merge held for approval is listed, approved (the
// merge is queued) or rejected (the task fails), once only, by callers allowed to, with an
// audit row; another organization sees nothing.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { buildApp } from '../../src/api/index.js';
import { createInProcessBus, type BusMessage } from '../../src/bus/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import { cancelTask, taskTopic } from '../../src/orchestrator/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { driveToMergeApproval } from '../helpers/drive-task.js';
import { waitFor } from '../helpers/wait.js';

let t: TestApp;
let orgId: string;
let projectId: string;
let other: { orgId: string; key: string };
let viewerKey: string;
beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.app.inject({ url: '/api/auth/me', headers: bearer(t.adminKey) })).json().orgId;
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: 'approvals' },
  });
  projectId = project.json().id;
  other = await createOrganization(t.database, 'Elsewhere');
  const viewer = await t.app.inject({
    method: 'POST',
    url: '/api/keys',
    headers: bearer(t.adminKey),
    payload: { name: 'viewer', role: 'viewer' },
  });
  viewerKey = viewer.json().key;
});
afterAll(() => t.close());

const get = (url: string, key = t.adminKey) => t.app.inject({ url, headers: bearer(key) });
const decide = (id: string, verdict: 'approve' | 'reject', payload?: unknown, key = t.adminKey) =>
  t.app.inject({
    method: 'POST',
    url: `/api/approvals/${id}/${verdict}`,
    headers: bearer(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

/** A new task whose merge waits for approval; its id and the approval's. */
async function heldTask() {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/tasks',
    headers: bearer(t.adminKey),
    payload: { projectId, description: 'Ship it' },
  });
  const taskId = created.json().id as string;
  const approvalId = await driveToMergeApproval(t.database.db, orgId, taskId);
  return { taskId, approvalId };
}

const stepStatus = async (taskId: string, key: string) =>
  (
    await t.database.db
      .select({ status: tables.steps.status })
      .from(tables.steps)
      .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, key)))
  )[0]?.status;

const auditOf = (targetId: string) =>
  t.database.db.select().from(tables.auditLog).where(eq(tables.auditLog.targetId, targetId));

describe('approvals', () => {
  it('lists pending approvals by task and status, and only to their organization', async () => {
    const one = await heldTask();
    const two = await heldTask();
    const pending = (await get('/api/approvals?status=pending')).json().items;
    expect(pending.map((approval: { id: string }) => approval.id)).toEqual(
      expect.arrayContaining([one.approvalId, two.approvalId]),
    );
    const ofOne = (await get(`/api/approvals?taskId=${one.taskId}`)).json().items;
    expect(ofOne).toMatchObject([
      {
        id: one.approvalId,
        taskId: one.taskId,
        kind: 'merge',
        question: 'Merge this task into its base branch?',
        status: 'pending',
        answer: null,
        decidedBy: null,
        decidedAt: null,
      },
    ]);
    expect((await get(`/api/approvals?status=approved&taskId=${one.taskId}`)).json().items).toEqual(
      [],
    );
    expect((await get('/api/approvals', other.key)).json().items).toEqual([]);
    expect((await get('/api/approvals', viewerKey)).statusCode).toBe(200);

    const bad = await get('/api/approvals?status=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('status');
  });

  it('approving queues the held merge, records who decided, and writes an audit row', async () => {
    const { taskId, approvalId } = await heldTask();
    expect(await stepStatus(taskId, 'merge')).toBe('waiting');
    expect((await get(`/api/tasks/${taskId}`)).json().status).toBe('waiting');

    const response = await decide(approvalId, 'approve', { answer: 'Looks good' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: approvalId,
      status: 'approved',
      answer: 'Looks good',
    });
    // The admin key belongs to the admin user: the decision is the user's.
    const [key] = await t.database.db
      .select({ userId: tables.apiKeys.userId })
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.orgId, orgId));
    expect(key!.userId).toEqual(expect.any(String));
    expect(response.json().decidedBy).toBe(key!.userId);
    expect(Date.parse(response.json().decidedAt)).not.toBeNaN();
    expect(await stepStatus(taskId, 'merge')).toBe('queued');
    expect((await get(`/api/tasks/${taskId}`)).json().status).toBe('running');
    const events = (await get(`/api/tasks/${taskId}/events`)).json().items;
    expect(events.map((event: { type: string }) => event.type)).toContain('approval-approved');
    expect(await auditOf(approvalId)).toMatchObject([
      { action: 'approval-approved', targetType: 'approval', data: { taskId, kind: 'merge' } },
    ]);

    // Decided once: a second decision, either way, is 409 and changes nothing.
    const again = await decide(approvalId, 'reject');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('INVALID_STATE');
    expect((await get(`/api/tasks/${taskId}`)).json().status).toBe('running');
  });

  it('records the key as the decider when the key belongs to no user', async () => {
    const project = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(other.key),
      payload: { name: 'theirs' },
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: bearer(other.key),
      payload: { projectId: project.json().id, description: 'Their task' },
    });
    const taskId = created.json().id as string;
    const approvalId = await driveToMergeApproval(t.database.db, other.orgId, taskId);
    const response = await decide(approvalId, 'approve', {}, other.key);
    expect(response.statusCode).toBe(200);
    const [key] = await t.database.db
      .select()
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.orgId, other.orgId));
    expect(key!.userId).toBeNull();
    expect(response.json().decidedBy).toBe(key!.id);
    // The first organization never sees it.
    expect((await get(`/api/approvals?taskId=${taskId}`)).json().items).toEqual([]);
  });

  it('rejecting fails the task with the reason', async () => {
    const { taskId, approvalId } = await heldTask();
    const response = await decide(approvalId, 'reject', { answer: 'Not this week' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'rejected', answer: 'Not this week' });
    const task = (await get(`/api/tasks/${taskId}`)).json();
    expect(task).toMatchObject({
      status: 'failed',
      error: 'The merge was rejected: Not this week',
    });
    expect(await stepStatus(taskId, 'merge')).toBe('cancelled');
    expect(await auditOf(approvalId)).toMatchObject([{ action: 'approval-rejected' }]);
  });

  it('takes no body at all, and refuses a bad one with 400 and no change', async () => {
    const { taskId, approvalId } = await heldTask();
    for (const payload of [{ answer: '' }, { answer: 5 }, { verdict: 'yes' }]) {
      const response = await decide(approvalId, 'approve', payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await get(`/api/approvals?taskId=${taskId}`)).json().items[0].status).toBe('pending');
    expect(await auditOf(approvalId)).toEqual([]);

    const bare = await decide(approvalId, 'approve');
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toMatchObject({ status: 'approved', answer: null });
  });

  it("answers 404 for another organization's approval, 403 to a viewer, and changes nothing", async () => {
    const { taskId, approvalId } = await heldTask();
    const foreign = await decide(approvalId, 'approve', {}, other.key);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('NOT_FOUND');
    expect((await decide(randomUUID(), 'approve', {})).statusCode).toBe(404);
    const viewer = await decide(approvalId, 'reject', {}, viewerKey);
    expect(viewer.statusCode).toBe(403);
    expect(await stepStatus(taskId, 'merge')).toBe('waiting');
    expect((await get(`/api/approvals?taskId=${taskId}`)).json().items[0].status).toBe('pending');
  });

  it("refuses to decide a cancelled task's approval, which would start the task again", async () => {
    const { taskId, approvalId } = await heldTask();
    await cancelTask(t.database.db, orgId, taskId);
    const response = await decide(approvalId, 'approve', {});
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'INVALID_STATE' });
    expect(response.json().error.message).toContain('cancelled');
    expect((await get(`/api/tasks/${taskId}`)).json().status).toBe('cancelled');
  });

  it('publishes the events a decision appended on the bus, once committed', async () => {
    const bus = createInProcessBus();
    const withBus = await buildApp({
      config: t.config,
      database: t.database,
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      version: '0.0.0-test',
      bus,
    });
    try {
      const { taskId, approvalId } = await heldTask();
      const received: BusMessage[] = [];
      await bus.subscribe(taskTopic(orgId, taskId), (message) => void received.push(message));
      const response = await withBus.inject({
        method: 'POST',
        url: `/api/approvals/${approvalId}/approve`,
        headers: bearer(t.adminKey),
        payload: {},
      });
      expect(response.statusCode).toBe(200);
      const logged = (await get(`/api/tasks/${taskId}/events?after=0`)).json().items;
      const appended = logged
        .filter((event: { type: string }) =>
          ['approval-approved', 'task-running'].includes(event.type),
        )
        .slice(-2)
        .map((event: { seq: number; type: string }) => ({ seq: event.seq, type: event.type }));
      await waitFor('the decision on the bus', () => received.length >= appended.length);
      expect(
        received.map((message) => {
          const payload = message.payload as { seq: number; type: string };
          return { seq: payload.seq, type: payload.type };
        }),
      ).toEqual(appended);
    } finally {
      await withBus.close();
      await bus.close();
    }
  });
});
