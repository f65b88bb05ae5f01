// The task state machine at the database level: each transition as the conductor runs it
// when a step commits, without agents.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import { createTask, getDelivery } from '../../src/orchestrator/index.js';
import { decideApproval, listApprovals } from '../../src/orchestrator/index.js';
import {
  afterGate,
  afterMerge,
  afterPlan,
  afterWork,
  type EventSink,
} from '../../src/orchestrator/transitions.js';
import { createTestDatabase } from '../helpers/database.js';
import { finishStep } from '../helpers/drive-task.js';
import { createOrgAndProject } from '../helpers/tasks.js';

let database: Database;
let owner: { orgId: string; projectId: string };
beforeAll(async () => {
  database = await createTestDatabase();
  owner = await createOrgAndProject(database.db, 'flow');
});
afterAll(() => database.close());

const roles = new Set(['planner', 'architect', 'developer', 'reviewer', 'tester', 'devops']);
const published: string[] = [];
const sink: EventSink = (event) => void published.push(event.type);

async function newTask() {
  const task = await createTask(database.db, {
    orgId: owner.orgId,
    input: { projectId: owner.projectId, description: 'Add a /health route' },
    sink,
  });
  return task.id;
}

const steps = (taskId: string) =>
  database.db
    .select()
    .from(tables.steps)
    .where(eq(tables.steps.taskId, taskId))
    .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key));
const statusOf = async (taskId: string) =>
  Object.fromEntries((await steps(taskId)).map((step) => [step.key, step.status]));
const taskOf = async (taskId: string) =>
  (await database.db.select().from(tables.tasks).where(eq(tables.tasks.id, taskId)))[0]!;

/** Marks a step done with a result, as completeStep does, and runs a transition. */
const finish = (
  taskId: string,
  key: string,
  result: unknown,
  transition: Parameters<typeof finishStep>[4],
) => finishStep(database.db, taskId, key, result, transition);

const plan = {
  summary: 'Design, then build and document in parallel.',
  steps: [
    { key: 'design', role: 'architect', goal: 'Design the route' },
    { key: 'build', role: 'developer', goal: 'Build it', dependsOn: ['design'] },
    { key: 'docs', role: 'developer', goal: 'Document it', dependsOn: ['design'] },
  ],
};

describe('task state machine', () => {
  it('goes plan → parallel work → gates → a fix round → gates → merge → done', async () => {
    const taskId = await newTask();
    expect(await statusOf(taskId)).toEqual({ 'plan.0': 'queued' });

    await finish(taskId, 'plan.0', plan, (tx, task) => afterPlan(tx, sink, task, 0, plan, roles));
    expect(await statusOf(taskId)).toMatchObject({
      'step.design': 'queued',
      'step.build': 'pending',
      'step.docs': 'pending',
    });
    expect((await taskOf(taskId)).status).toBe('running');

    await finish(taskId, 'step.design', null, (tx, task) => afterWork(tx, sink, task, null));
    expect(await statusOf(taskId)).toMatchObject({ 'step.build': 'queued', 'step.docs': 'queued' });

    await finish(taskId, 'step.build', null, (tx, task) => afterWork(tx, sink, task, null));
    expect(Object.keys(await statusOf(taskId))).not.toContain('review.0');
    await finish(taskId, 'step.docs', null, (tx, task) => afterWork(tx, sink, task, null));
    expect(await statusOf(taskId)).toMatchObject({ 'review.0': 'queued', 'test.0': 'queued' });

    await finish(
      taskId,
      'review.0',
      { approved: false, feedback: 'Missing a test for 404.' },
      (tx, task) => afterGate(tx, sink, task, 0, false),
    );
    expect(await statusOf(taskId)).not.toHaveProperty('fix.1'); // waits for the other gate of the round
    await finish(taskId, 'test.0', { passed: true, report: '12 passed' }, (tx, task) =>
      afterGate(tx, sink, task, 0, false),
    );
    const fix = (await steps(taskId)).find((step) => step.key === 'fix.1')!;
    expect(fix).toMatchObject({ status: 'queued', role: 'developer' });
    expect(fix.goal).toContain('Missing a test for 404.');

    await finish(taskId, 'fix.1', null, (tx, task) => afterWork(tx, sink, task, null));
    expect(await statusOf(taskId)).toMatchObject({ 'review.1': 'queued', 'test.1': 'queued' });
    await finish(taskId, 'review.1', { approved: true, feedback: '' }, (tx, task) =>
      afterGate(tx, sink, task, 1, false),
    );
    await finish(taskId, 'test.1', { passed: true, report: '13 passed' }, (tx, task) =>
      afterGate(tx, sink, task, 1, false),
    );
    expect(await statusOf(taskId)).toMatchObject({ merge: 'queued' });

    expect(await getDelivery(database.db, owner.orgId, taskId)).toBeNull();
    await finish(taskId, 'merge', null, (tx, task) =>
      afterMerge(tx, sink, task, { baseBranch: 'main', commit: 'abc123' }),
    );
    expect(await taskOf(taskId)).toMatchObject({ status: 'done', error: null });
    // The merge is the task's delivery: Cadre's own repository, on the base branch.
    expect(await getDelivery(database.db, owner.orgId, taskId)).toEqual({
      mode: 'local',
      branch: 'main',
      commit: 'abc123',
    });
    // Another organization does not see it.
    const other = await createOrgAndProject(database.db, 'flow-other');
    expect(await getDelivery(database.db, other.orgId, taskId)).toBeNull();
    const events = await database.db
      .select()
      .from(tables.events)
      .where(eq(tables.events.taskId, taskId))
      .orderBy(asc(tables.events.seq));
    expect(events.map((event) => event.type)).toEqual([
      'task-created',
      'step-queued',
      'plan-accepted',
      'task-running',
      'gates-queued',
      'gate-failed',
      'gates-queued',
      'gates-passed',
      'task-merged',
      'task-done',
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  });

  it('sends a cyclic plan back to the planner with the problem, then fails after three tries', async () => {
    const taskId = await newTask();
    const cyclic = {
      steps: [
        { key: 'a', role: 'developer', goal: 'a', dependsOn: ['b'] },
        { key: 'b', role: 'developer', goal: 'b', dependsOn: ['a'] },
      ],
    };
    await finish(taskId, 'plan.0', cyclic, (tx, task) =>
      afterPlan(tx, sink, task, 0, cyclic, roles),
    );
    const retry = (await steps(taskId)).find((step) => step.key === 'plan.1')!;
    expect(retry.status).toBe('queued');
    expect(retry.goal).toMatch(/cycle: (a → b → a|b → a → b)/);

    await finish(taskId, 'plan.1', cyclic, (tx, task) =>
      afterPlan(tx, sink, task, 1, cyclic, roles),
    );
    await finish(taskId, 'plan.2', cyclic, (tx, task) =>
      afterPlan(tx, sink, task, 2, cyclic, roles),
    );
    const task = await taskOf(taskId);
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/no valid plan in 3 attempts/);
  });

  it('holds the merge for a human when the project asks for approval', async () => {
    const taskId = await newTask();
    const single = { steps: [{ key: 'only', role: 'developer', goal: 'do it' }] };
    await finish(taskId, 'plan.0', single, (tx, task) =>
      afterPlan(tx, sink, task, 0, single, roles),
    );
    await finish(taskId, 'step.only', null, (tx, task) => afterWork(tx, sink, task, null));
    await finish(taskId, 'review.0', { approved: true }, (tx, task) =>
      afterGate(tx, sink, task, 0, true),
    );
    await finish(taskId, 'test.0', { passed: true }, (tx, task) =>
      afterGate(tx, sink, task, 0, true),
    );
    expect(await statusOf(taskId)).toMatchObject({ merge: 'waiting' });
    expect((await taskOf(taskId)).status).toBe('waiting');
    const approvals = await database.db
      .select()
      .from(tables.approvals)
      .where(eq(tables.approvals.taskId, taskId));
    expect(approvals).toMatchObject([{ kind: 'merge', status: 'pending' }]);
  });
});

describe('approvals', () => {
  it('resume a held merge when approved, and fail the task when rejected', async () => {
    const single = { steps: [{ key: 'only', role: 'developer', goal: 'do it' }] };
    const held = async () => {
      const taskId = await newTask();
      await finish(taskId, 'plan.0', single, (tx, task) =>
        afterPlan(tx, sink, task, 0, single, roles),
      );
      await finish(taskId, 'step.only', null, (tx, task) => afterWork(tx, sink, task, null));
      await finish(taskId, 'review.0', { approved: true }, (tx, task) =>
        afterGate(tx, sink, task, 0, true),
      );
      await finish(taskId, 'test.0', { passed: true }, (tx, task) =>
        afterGate(tx, sink, task, 0, true),
      );
      const [approval] = await listApprovals(database.db, owner.orgId, {
        taskId,
        status: 'pending',
      });
      return { taskId, approvalId: approval!.id };
    };

    const approved = await held();
    await decideApproval(database.db, sink, owner.orgId, approved.approvalId, {
      isApproved: true,
      decidedBy: 'ada',
    });
    expect(await statusOf(approved.taskId)).toMatchObject({ merge: 'queued' });
    expect((await taskOf(approved.taskId)).status).toBe('running');
    await expect(
      decideApproval(database.db, sink, owner.orgId, approved.approvalId, {
        isApproved: false,
        decidedBy: 'ada',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const rejected = await held();
    await decideApproval(database.db, sink, owner.orgId, rejected.approvalId, {
      isApproved: false,
      answer: 'not this week',
      decidedBy: 'ada',
    });
    expect(await taskOf(rejected.taskId)).toMatchObject({
      status: 'failed',
      error: 'The merge was rejected: not this week',
    });
    expect(await statusOf(rejected.taskId)).toMatchObject({ merge: 'cancelled' });
  });
});
