// The task state machine. Each function runs inside the transaction that commits a step (or
// creates or fails a task), so the task's state, its steps and the queue change together.
// Every transition locks the task row first: two steps finishing at once are serialized.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { recordDelivery } from './deliveries.js';
import { appendEvent, type NewEvent } from './events.js';
import { validatePlan } from './plan.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import type { TaskRow } from './tasks.js';
import { workChannel } from './work-queue.js';

export const maxPlanAttempts = 3;
export const maxGateRounds = 3;

/** Collects the events a transaction appended, to publish once it has committed. */
export type EventSink = (event: NewEvent & { seq: number }) => void;

export interface StepInput {
  key: string;
  kind: 'plan' | 'work' | 'fix' | 'review' | 'test' | 'merge';
  role: string;
  goal: string;
  acceptance?: string[];
  dependsOn?: string[];
  round?: number;
}

export const ReviewVerdict = z.object({ approved: z.boolean(), feedback: z.string().default('') });
export const TestVerdict = z.object({ passed: z.boolean(), report: z.string().default('') });

/** Locks the task for the rest of the transaction and returns it. */
export async function lockTask(tx: Db, taskId: string): Promise<TaskRow> {
  const [task] = await tx
    .select()
    .from(tables.tasks)
    .where(eq(tables.tasks.id, taskId))
    .for('update');
  if (!task) throw new Error(`task ${taskId} does not exist`);
  return task;
}

/** Appends an event and hands it to the sink for publishing after commit. */
export async function emit(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  type: string,
  data: Record<string, unknown> = {},
) {
  const event = { orgId: task.orgId, taskId: task.id, type, data };
  const seq = await appendEvent(tx, event);
  sink({ ...event, seq });
}

/** Inserts steps as pending; `enqueueReady` makes the ready ones claimable. */
export async function insertSteps(tx: Db, task: TaskRow, steps: readonly StepInput[]) {
  if (steps.length === 0) return;
  await tx.insert(tables.steps).values(
    steps.map((step) => ({
      orgId: task.orgId,
      taskId: task.id,
      key: step.key,
      kind: step.kind,
      role: step.role,
      goal: step.goal,
      acceptance: step.acceptance ?? [],
      dependsOn: step.dependsOn ?? [],
      round: step.round ?? 0,
      priority: task.priority,
    })),
  );
}

/** Queues every pending step of the task whose dependencies are all done. */
export async function enqueueReady(tx: Db, taskId: string): Promise<string[]> {
  const result = await tx.execute<{ key: string }>(sql`
    UPDATE steps s SET status = 'queued', enqueued_at = now(), run_after = now(), updated_at = now()
    WHERE s.task_id = ${taskId} AND s.status = 'pending' AND NOT EXISTS (
      SELECT 1 FROM steps d WHERE d.task_id = s.task_id AND d.key = ANY(s.depends_on) AND d.status <> 'done')
    RETURNING s.key`);
  if (result.rows.length > 0) await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
  return result.rows.map((row) => row.key);
}

/** A new task's first step: the planner. */
export async function startTask(tx: Db, sink: EventSink, task: TaskRow) {
  await insertSteps(tx, task, [planStep(task, 0, [])]);
  await enqueueReady(tx, task.id);
  await emit(tx, sink, task, 'step-queued', { key: 'plan.0', role: 'planner' });
}

function planStep(task: TaskRow, round: number, problems: string[]): StepInput {
  const correction = problems.length
    ? `\n\nYour previous plan was refused:\n${problems.map((problem) => `- ${problem}`).join('\n')}\nSend a corrected plan.`
    : '';
  return {
    key: `plan.${round}`,
    kind: 'plan',
    role: 'planner',
    goal: `Plan this task:\n${task.description}${correction}`,
    round,
  };
}

/** Sets the task's status (and its start or end time) and records the change. */
export async function setTaskStatus(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  status: TaskStatus,
  error: string | null = null,
) {
  if (task.status === status) return;
  const now = new Date();
  const isFinished = finishedStatuses.includes(status);
  await tx
    .update(tables.tasks)
    .set({
      status,
      error,
      updatedAt: now,
      ...(task.startedAt ? {} : { startedAt: now }),
      ...(isFinished ? { finishedAt: now } : {}),
    })
    .where(eq(tables.tasks.id, task.id));
  if (isFinished) {
    await tx
      .update(tables.steps)
      .set({ status: 'cancelled', updatedAt: now })
      .where(
        and(
          eq(tables.steps.taskId, task.id),
          inArray(tables.steps.status, ['pending', 'queued', 'waiting']),
        ),
      );
  }
  await emit(tx, sink, task, `task-${status}`, { from: task.status, ...(error ? { error } : {}) });
  task.status = status;
}

/** The planner finished: accept its plan and queue the first steps, or send it back. */
export async function afterPlan(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  round: number,
  output: unknown,
  roles: ReadonlySet<string>,
) {
  const workRoles = new Set([...roles].filter((role) => role !== 'planner'));
  const validation = validatePlan(output, workRoles);
  if (!validation.ok) {
    await emit(tx, sink, task, 'plan-rejected', { round, problems: validation.problems });
    if (round + 1 >= maxPlanAttempts) {
      return setTaskStatus(
        tx,
        sink,
        task,
        'failed',
        `The planner gave no valid plan in ${maxPlanAttempts} attempts: ${validation.problems.join('; ')}`,
      );
    }
    await insertSteps(tx, task, [planStep(task, round + 1, validation.problems)]);
    await enqueueReady(tx, task.id);
    return;
  }
  const { plan } = validation;
  await tx.update(tables.tasks).set({ plan }).where(eq(tables.tasks.id, task.id));
  await insertSteps(
    tx,
    task,
    plan.steps.map((step) => ({
      key: `step.${step.key}`,
      kind: 'work' as const,
      role: step.role,
      goal: step.goal,
      acceptance: step.acceptance,
      dependsOn: step.dependsOn.map((key) => `step.${key}`),
    })),
  );
  await emit(tx, sink, task, 'plan-accepted', {
    steps: plan.steps.length,
    order: validation.order,
    summary: plan.summary,
  });
  await setTaskStatus(tx, sink, task, 'running');
  await enqueueReady(tx, task.id);
}

/** A work or fix step finished: queue what it unblocked, and the gates once all work is done. */
export async function afterWork(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  conflict: { stepKey: string; paths: string[]; diff: string } | null,
) {
  if (conflict) {
    await insertSteps(tx, task, [
      {
        key: `resolve.${conflict.stepKey}.${Date.now()}`,
        kind: 'fix',
        role: 'developer',
        goal: `The changes of step ${conflict.stepKey} conflict with the task's branch in ${conflict.paths.join(', ')}. Re-apply them on top of the current code and commit:\n\n${conflict.diff}`,
      },
    ]);
    await emit(tx, sink, task, 'merge-conflict', { step: conflict.stepKey, paths: conflict.paths });
  }
  await enqueueReady(tx, task.id);
  const open = await tx.execute<{ open: string }>(sql`
    SELECT count(*) AS open FROM steps
    WHERE task_id = ${task.id} AND kind IN ('work', 'fix') AND status NOT IN ('done', 'cancelled')`);
  if (Number(open.rows[0]!.open) > 0) return;
  const rounds = await tx.execute<{ next: number }>(sql`
    SELECT COALESCE(max(round) + 1, 0) AS next FROM steps WHERE task_id = ${task.id} AND kind = 'review'`);
  const round = Number(rounds.rows[0]!.next);
  await insertSteps(tx, task, [
    {
      key: `review.${round}`,
      kind: 'review',
      role: 'reviewer',
      goal: gateGoal(task, 'Review the change'),
      round,
    },
    {
      key: `test.${round}`,
      kind: 'test',
      role: 'tester',
      goal: gateGoal(task, 'Run and extend the tests'),
      round,
    },
  ]);
  await enqueueReady(tx, task.id);
  await emit(tx, sink, task, 'gates-queued', { round });
}

/**
 * The key of a task's merge step: "merge", or "merge.<round>" when an earlier round's merge
 * step (whose verification failed) already holds that key.
 */
async function mergeKey(tx: Db, taskId: string, round: number): Promise<string> {
  const [earlier] = await tx
    .select({ id: tables.steps.id })
    .from(tables.steps)
    .where(and(eq(tables.steps.taskId, taskId), eq(tables.steps.key, 'merge')));
  return earlier ? `merge.${round}` : 'merge';
}

function gateGoal(task: TaskRow, what: string) {
  return `${what} of this task against its plan and acceptance criteria.\n\nTask: ${task.description}`;
}

/** A review or test gate finished: when both of the round are in, merge, fix, or fail. */
export async function afterGate(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  round: number,
  requiresApproval: boolean,
) {
  const gates = await tx
    .select({ kind: tables.steps.kind, status: tables.steps.status, result: tables.steps.result })
    .from(tables.steps)
    .where(
      and(
        eq(tables.steps.taskId, task.id),
        eq(tables.steps.round, round),
        inArray(tables.steps.kind, ['review', 'test']),
      ),
    );
  if (gates.some((gate) => gate.status !== 'done')) return;
  const review = ReviewVerdict.safeParse(
    (gates.find((gate) => gate.kind === 'review')?.result as { result?: unknown })?.result,
  );
  const test = TestVerdict.safeParse(
    (gates.find((gate) => gate.kind === 'test')?.result as { result?: unknown })?.result,
  );
  const feedback = [
    review.success
      ? review.data.approved
        ? ''
        : `Review: ${review.data.feedback}`
      : 'Review: the reviewer gave no verdict.',
    test.success
      ? test.data.passed
        ? ''
        : `Tests: ${test.data.report}`
      : 'Tests: the tester gave no verdict.',
  ].filter(Boolean);
  if (feedback.length === 0) {
    await emit(tx, sink, task, 'gates-passed', { round });
    const key = await mergeKey(tx, task.id, round);
    await insertSteps(tx, task, [
      {
        key,
        kind: 'merge',
        role: 'devops',
        goal: 'Verify the merge result and merge the task into its base branch.',
        round,
      },
    ]);
    if (requiresApproval) {
      // Held back from the queue until a human approves (see decideApproval).
      await tx
        .update(tables.steps)
        .set({ status: 'waiting' })
        .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.key, key)));
      await tx.insert(tables.approvals).values({
        orgId: task.orgId,
        taskId: task.id,
        kind: 'merge',
        question: 'Merge this task into its base branch?',
      });
      await emit(tx, sink, task, 'approval-requested', { kind: 'merge' });
      return setTaskStatus(tx, sink, task, 'waiting');
    }
    await enqueueReady(tx, task.id);
    return;
  }
  await emit(tx, sink, task, 'gate-failed', { round, feedback });
  await queueFixRound(tx, sink, task, round, {
    goal: `Address this feedback and commit:\n${feedback.join('\n')}`,
    failure: `The gates failed ${maxGateRounds} times. Last feedback: ${feedback.join(' ')}`,
  });
}

/**
 * Sends the task back to the developer for round `round + 1`, or fails it with `failure`
 * when that would pass the round limit: the one bound of every fix round.
 */
export async function queueFixRound(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  round: number,
  fix: { goal: string; failure: string },
) {
  if (round + 1 >= maxGateRounds) return setTaskStatus(tx, sink, task, 'failed', fix.failure);
  await insertSteps(tx, task, [
    {
      key: `fix.${round + 1}`,
      kind: 'fix',
      role: 'developer',
      goal: fix.goal,
      round: round + 1,
    },
  ]);
  await enqueueReady(tx, task.id);
}

/**
 * The task's branch was merged into its base in Cadre's own repository: record that as the
 * task's (local) delivery, and the task is done.
 */
export async function afterMerge(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  merged: { baseBranch: string; commit: string },
) {
  const { baseBranch, commit } = merged;
  await recordDelivery(tx, task, { mode: 'local', branch: baseBranch, commit });
  await emit(tx, sink, task, 'task-merged', { commit, branch: baseBranch });
  await setTaskStatus(tx, sink, task, 'done');
}
