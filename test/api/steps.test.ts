// A task's steps and progress, a step's transcript and the organization's agents, through
// the API, with the task driven by the state machine and the transcript written by the
// runtime's own checkpoints.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentFinished,
  agentStarted,
  claimSteps,
  createCheckpoints,
  afterWork,
  failStep,
  sweepExpiredLeases,
} from '../../src/orchestrator/index.js';
import {
  bearer,
  createOrganization,
  createTaskThroughApi,
  createTestApp,
  type TestApp,
} from '../helpers/app.js';
import { drivePlan, finishStep } from '../helpers/drive-task.js';

let t: TestApp;
let orgId: string;
let projectId: string;
let other: { orgId: string; key: string };
beforeAll(async () => {
  t = await createTestApp();
  const me = await t.app.inject({ url: '/api/auth/me', headers: bearer(t.adminKey) });
  orgId = me.json().orgId;
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: 'steps' },
  });
  projectId = project.json().id;
  other = await createOrganization(t.database, 'Elsewhere');
});
afterAll(() => t.close());

const get = (url: string, key = t.adminKey) => t.app.inject({ url, headers: bearer(key) });

const newTask = (description = 'Add a /health route') =>
  createTaskThroughApi(t, projectId, description);

describe('GET /api/tasks/:id/steps', () => {
  it('lists the steps in creation order with progress over work, fix, review, test and merge', async () => {
    const taskId = await newTask();
    const first = await get(`/api/tasks/${taskId}/steps`);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      items: [{ key: 'plan.0', kind: 'plan', role: 'planner', status: 'queued', summary: null }],
      progress: { done: 0, total: 0 },
    });

    await drivePlan(t.database.db, taskId);
    const planned = (await get(`/api/tasks/${taskId}/steps`)).json();
    expect(planned.items.map((step: { key: string }) => step.key)).toEqual([
      'plan.0',
      'step.build',
    ]);
    expect(planned.items[0]).toMatchObject({ status: 'done', summary: 'finished plan.0' });
    expect(planned.items[1]).toMatchObject({
      taskId,
      kind: 'work',
      role: 'developer',
      goal: 'Build the route',
      acceptance: ['it answers'],
      dependsOn: [],
      status: 'queued',
      attempts: 0,
      round: 0,
      error: null,
      claimedAt: null,
    });
    expect(planned.progress).toEqual({ done: 0, total: 1 });

    await finishStep(t.database.db, taskId, 'step.build', null, (tx, task) =>
      afterWork(tx, () => undefined, task, null),
    );
    const gated = (await get(`/api/tasks/${taskId}/steps`)).json();
    expect(gated.items.map((step: { key: string }) => step.key)).toEqual([
      'plan.0',
      'step.build',
      'review.0',
      'test.0',
    ]);
    expect(gated.progress).toEqual({ done: 1, total: 3 });

    // The task itself reports the same progress, alone and in the list.
    expect((await get(`/api/tasks/${taskId}`)).json().progress).toEqual({ done: 1, total: 3 });
    const listed = (await get(`/api/tasks?projectId=${projectId}`)).json().items;
    expect(listed.find((task: { id: string }) => task.id === taskId).progress).toEqual({
      done: 1,
      total: 3,
    });
  });

  it('shows every failed attempt and expired lease of a step, with its code and worker', async () => {
    const taskId = await newTask('Survive a flaky worker');
    await drivePlan(t.database.db, taskId);
    const claimOurs = async (workerId: string, now?: Date) =>
      (await claimSteps(t.database.db, { workerId, limit: 100, leaseMs: 60_000, now })).find(
        (step) => step.taskId === taskId,
      )!;
    const first = await claimOurs('worker-a');
    await failStep(t.database.db, first, {
      error: 'git config branch.cadre/task.cadrebase failed',
      code: 'GIT_FAILED',
      backoffMs: () => 0,
    });
    // The second worker dies holding it: its lease expires and the sweeper re-queues it.
    const later = new Date(Date.now() + 3_600_000);
    await claimOurs('worker-b', later);
    await sweepExpiredLeases(t.database.db, { now: new Date(later.getTime() + 60_001) });

    const response = await get(`/api/tasks/${taskId}/steps`);
    expect(response.statusCode).toBe(200);
    const build = response.json().items.find((step: { key: string }) => step.key === 'step.build');
    expect(build).toMatchObject({
      status: 'queued',
      attempts: 2,
      failures: 1,
      maxAttempts: 3,
      leaseExpiries: 1,
      maxLeaseExpiries: 5,
      error: 'git config branch.cadre/task.cadrebase failed',
      attemptErrors: [
        {
          attempt: 1,
          code: 'GIT_FAILED',
          message: 'git config branch.cadre/task.cadrebase failed',
          workerId: 'worker-a',
        },
        { attempt: 2, code: 'STEP_LEASE_EXPIRED', workerId: 'worker-b' },
      ],
    });
    expect(build.attemptErrors[1].at).toBe(new Date(later.getTime() + 60_001).toISOString());
  });

  it("answers 404 for another organization's task and 400 for a malformed id", async () => {
    const taskId = await newTask();
    const foreign = await get(`/api/tasks/${taskId}/steps`, other.key);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('NOT_FOUND');
    expect((await get(`/api/tasks/${randomUUID()}/steps`)).statusCode).toBe(404);
    const malformed = await get('/api/tasks/not-a-uuid/steps');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /api/steps/:id/transcript and GET /api/agents', () => {
  let stepId: string;
  let agentId: string;

  beforeAll(async () => {
    const taskId = await newTask('Write the transcript');
    await drivePlan(t.database.db, taskId);
    // Earlier tests left steps in the queue; this worker takes them all and keeps ours.
    const claimed = (
      await claimSteps(t.database.db, { workerId: 'test-worker', limit: 100, leaseMs: 60_000 })
    ).find((step) => step.taskId === taskId);
    stepId = claimed!.stepId;
    agentId = await agentStarted(t.database.db, {
      orgId,
      role: claimed!.role,
      workerId: 'test-worker',
      slot: 0,
      stepId,
    });
    const checkpoints = createCheckpoints(t.database.db, orgId, claimed!);
    await checkpoints.append({
      kind: 'model',
      turn: 1,
      text: 'I will read the file first.',
      toolCalls: [{ toolCallId: 'c1', toolName: 'read_file', input: { path: 'src/app.ts' } }],
      model: 'scripted/one',
      costUsd: 0.0012,
    });
    await checkpoints.append({ kind: 'tool-start', toolCallId: 'c1', toolName: 'read_file' });
    await checkpoints.append({
      kind: 'tool-result',
      toolCallId: 'c1',
      toolName: 'read_file',
      output: 'no such file',
      isError: true,
    });
  });

  it('returns the turns and tool results in order', async () => {
    const response = await get(`/api/steps/${stepId}/transcript`);
    expect(response.statusCode).toBe(200);
    const { items } = response.json();
    expect(items).toMatchObject([
      {
        seq: 1,
        kind: 'model',
        turn: 1,
        text: 'I will read the file first.',
        toolCalls: [{ toolCallId: 'c1', toolName: 'read_file', input: { path: 'src/app.ts' } }],
        model: 'scripted/one',
        costUsd: 0.0012,
      },
      { seq: 2, kind: 'tool-start', toolCallId: 'c1', toolName: 'read_file' },
      { seq: 3, kind: 'tool-result', output: 'no such file', isError: true },
    ]);
    expect(Date.parse(items[0].createdAt)).not.toBeNaN();
  });

  it("answers 404 for another organization's step", async () => {
    const foreign = await get(`/api/steps/${stepId}/transcript`, other.key);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('NOT_FOUND');
    expect((await get(`/api/steps/${randomUUID()}/transcript`)).statusCode).toBe(404);
  });

  it("lists the organization's agents with what they are doing, and no one else's", async () => {
    const working = (await get('/api/agents')).json().items;
    expect(working).toMatchObject([
      {
        id: agentId,
        role: 'developer',
        status: 'working',
        workerId: 'test-worker',
        currentStepId: stepId,
        activity: 'on step.build of "Write the transcript"',
        step: { key: 'step.build', taskTitle: 'Write the transcript' },
      },
    ]);
    expect(Date.parse(working[0].heartbeatAt)).not.toBeNaN();
    expect((await get('/api/agents', other.key)).json().items).toEqual([]);

    await agentFinished(t.database.db, agentId, 'idle');
    expect((await get('/api/agents')).json().items).toMatchObject([
      { id: agentId, status: 'idle', currentStepId: null, activity: null, step: null },
    ]);
  });
});
