// Moves a task through the state machine as workers would, without agents: each step is
// marked done with a result and its transition runs in the same transaction.
import { and, eq } from 'drizzle-orm';
import { tables, type Db } from '../../src/db/index.js';
import {
  afterGate,
  afterMerge,
  afterPlan,
  afterWork,
  listApprovals,
  lockTask,
  type EventSink,
  type TaskRow,
} from '../../src/orchestrator/index.js';

const roles = new Set(['planner', 'architect', 'developer', 'reviewer', 'tester', 'devops']);

/** Marks a step done with `{ summary, result }`, as completeStep does, then runs `transition`. */
export async function finishStep(
  db: Db,
  taskId: string,
  key: string,
  result: unknown,
  transition: (tx: Db, task: TaskRow) => Promise<unknown>,
) {
  await db.transaction(async (tx) => {
    const done = await tx
      .update(tables.steps)
      .set({ status: 'done', result: { summary: `finished ${key}`, result } })
      .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, key)))
      .returning();
    if (done.length !== 1) throw new Error(`task ${taskId} has no step ${key}`);
    await transition(tx, await lockTask(tx, taskId));
  });
}

export const onePlan = {
  summary: 'Build it.',
  steps: [{ key: 'build', role: 'developer', goal: 'Build the route', acceptance: ['it answers'] }],
};

/** Plan accepted: the task is running with step.build queued. */
export async function drivePlan(db: Db, taskId: string, sink: EventSink = () => undefined) {
  await finishStep(db, taskId, 'plan.0', onePlan, (tx, task) =>
    afterPlan(tx, sink, task, 0, onePlan, roles),
  );
}

/** Both gates of round 0 pass; the merge is queued, or held for approval when `isHeld`. */
export async function driveGates(
  db: Db,
  taskId: string,
  { isHeld, sink = () => undefined }: { isHeld: boolean; sink?: EventSink },
) {
  await finishStep(db, taskId, 'review.0', { approved: true, feedback: '' }, (tx, task) =>
    afterGate(tx, sink, task, 0, isHeld),
  );
  await finishStep(db, taskId, 'test.0', { passed: true, report: '3 passed' }, (tx, task) =>
    afterGate(tx, sink, task, 0, isHeld),
  );
}

/** The id of the task's pending approval. */
export async function pendingApproval(db: Db, orgId: string, taskId: string) {
  const [approval] = await listApprovals(db, orgId, { taskId, status: 'pending' });
  if (!approval) throw new Error(`task ${taskId} has no pending approval`);
  return approval.id;
}

/** Plan, work and gates of a new task, to a merge held for approval; the approval's id. */
export async function driveToMergeApproval(db: Db, orgId: string, taskId: string) {
  await drivePlan(db, taskId);
  await finishStep(db, taskId, 'step.build', null, (tx, task) =>
    afterWork(tx, () => undefined, task, null),
  );
  await driveGates(db, taskId, { isHeld: true });
  return pendingApproval(db, orgId, taskId);
}

/** The merge step finished with a commit: the task is done. */
export async function driveMerge(db: Db, taskId: string, sink: EventSink = () => undefined) {
  await finishStep(db, taskId, 'merge', { commit: 'abc123' }, (tx, task) =>
    afterMerge(tx, sink, task, { baseBranch: 'main', commit: 'abc123' }),
  );
}
