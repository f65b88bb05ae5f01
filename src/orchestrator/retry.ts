// Retrying a failed or cancelled task: from its failed step (the steps before it kept, with
// their commits on the task's branch), from a chosen step, or from the start (planned again on
// a fresh branch). Nothing is deleted: the rows that run again become 'superseded', with their
// transcripts, costs and errors, and fresh rows of the same keys take their place.
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError, validationError } from '../errors/index.js';
import type { Workspaces } from '../workspace/index.js';
import type { StepRow } from './step-views.js';
import { getTask, type TaskRow } from './tasks.js';
import {
  afterGate,
  emit,
  enqueueReady,
  insertSteps,
  lockTask,
  setTaskStatus,
  startTask,
  type EventSink,
  type StepInput,
} from './transitions.js';

const retryableStatuses = ['failed', 'cancelled'];

export interface RetryTaskOptions {
  orgId: string;
  taskId: string;
  /** The key of the step to run again (with what depends on it), 'start', or the failed step. */
  fromStep?: string;
  /** A new description for this attempt and the next ones. */
  description?: string;
  /** Who retries: the event names them and the audit log records them. */
  principal: AuditActor;
  requestId?: string;
  /** Needed to retry from the start, which starts the task's branch over. */
  workspaces?: Pick<Workspaces, 'archiveTaskBranch'>;
}

/**
 * Runs a failed or cancelled task again, in one transaction with the enqueue; any other
 * status is INVALID_STATE and changes nothing. Returns the task.
 */
export async function retryTask(
  db: Db,
  sink: EventSink,
  options: RetryTaskOptions,
): Promise<TaskRow> {
  const { orgId, taskId, fromStep, principal } = options;
  checkRetryable(await getTask(db, orgId, taskId));
  return db.transaction(async (tx) => {
    const task = await lockTask(tx, taskId);
    checkRetryable(task);
    const steps = await tx
      .select()
      .from(tables.steps)
      .where(and(eq(tables.steps.taskId, taskId), ne(tables.steps.status, 'superseded')))
      .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key));
    const stopping = steps.find((step) => step.status === 'running');
    if (stopping) {
      throw new CadreError(
        'INVALID_STATE',
        `Step ${stopping.key} of task ${taskId} is still stopping; retry once it has stopped (a few seconds).`,
        { details: { status: task.status, step: stopping.key } },
      );
    }
    const from = retryStart(task, steps, fromStep);
    if (from === 'start') await archiveBranch(task, options.workspaces);
    const rerun = from === 'start' ? steps : stepsToRerun(steps, from);
    const previous = { status: task.status, error: task.error, attempt: task.attempt };
    const isReplanning = from === 'start' || from.kind === 'plan';
    await tx
      .update(tables.tasks)
      .set({
        attempt: task.attempt + 1,
        description: options.description ?? task.description,
        finishedAt: null,
        ...(isReplanning ? { plan: null } : {}),
      })
      .where(eq(tables.tasks.id, taskId));
    task.attempt += 1;
    task.description = options.description ?? task.description;
    await supersede(
      tx,
      rerun.map((step) => step.id),
    );
    await closeApprovals(tx, taskId);
    await emit(tx, sink, task, 'task-retried', {
      attempt: task.attempt,
      from: from === 'start' ? 'start' : from.key,
      by: principal.userId,
      previousStatus: previous.status,
      error: previous.error,
      rerun: rerun.map((step) => step.key),
      isDescriptionChanged: options.description !== undefined,
    });
    await setTaskStatus(tx, sink, task, isReplanning ? 'queued' : 'running');
    await queueAgain(tx, sink, task, from, rerun);
    await recordAudit(tx, principal, {
      action: 'task-retried',
      targetType: 'task',
      targetId: taskId,
      data: { attempt: task.attempt, from: from === 'start' ? 'start' : from.key },
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
    const [row] = await tx.select().from(tables.tasks).where(eq(tables.tasks.id, taskId));
    return row!;
  });
}

/**
 * Starts the task's branch over for a retry from the start. It runs while the task row is
 * locked and the task finished, so no worker and no other retry touches the branch; the head
 * is kept under the attempt's ref, so a transaction that fails after it loses nothing.
 */
async function archiveBranch(task: TaskRow, workspaces: RetryTaskOptions['workspaces']) {
  if (!workspaces) {
    throw new CadreError(
      'WORKSPACES_UNAVAILABLE',
      'Retrying from the start needs the workspaces to start the branch over; run it on a Cadre server that holds them, or retry from a step.',
    );
  }
  await workspaces.archiveTaskBranch({ projectId: task.projectId, taskId: task.id }, task.attempt);
}

/** Inserts the fresh rows of the retry and queues what is ready, in the retry's transaction. */
async function queueAgain(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  from: StepRow | 'start',
  rerun: readonly StepRow[],
) {
  if (from === 'start') return startTask(tx, sink, task);
  await insertSteps(tx, task, copiesOf(rerun, from));
  if (from.kind !== 'merge') return enqueueReady(tx, task.id);
  // The merge is not copied: the passed gates insert it again, held for approval when the
  // project asks for one.
  const [project] = await tx
    .select({ approveBeforeMerge: tables.projects.approveBeforeMerge })
    .from(tables.projects)
    .where(eq(tables.projects.id, task.projectId));
  await afterGate(tx, sink, task, from.round, project?.approveBeforeMerge ?? false);
}

function checkRetryable(task: TaskRow) {
  if (retryableStatuses.includes(task.status)) return;
  throw new CadreError(
    'INVALID_STATE',
    `Task ${task.id} is ${task.status}; only a failed or cancelled task can be retried.`,
    { details: { status: task.status } },
  );
}

/**
 * The step a retry starts from: the one asked for, else the step that failed (or, for a
 * cancelled task, the first that did not finish), else a merge that was refused by its
 * checks; a task that never got a plan starts over.
 */
function retryStart(
  task: TaskRow,
  steps: readonly StepRow[],
  fromStep: string | undefined,
): StepRow | 'start' {
  if (fromStep === 'start') return 'start';
  if (fromStep !== undefined) {
    const step = steps.find((candidate) => candidate.key === fromStep);
    if (step) return step;
    throw validationError(
      'fromStep',
      `task ${task.id} has no step "${fromStep}"; use one of ${steps.map((candidate) => candidate.key).join(', ')}, or retry from the start`,
    );
  }
  const failed =
    steps.find((step) => step.status === 'dead' || step.status === 'failed') ??
    steps.find((step) => step.status !== 'done');
  if (failed) return failed;
  const last = steps.at(-1);
  if (last?.kind === 'merge') return last;
  if (task.plan === null) return 'start';
  throw validationError(
    'fromStep',
    `every step of task ${task.id} finished, so there is no failed step to retry from (the task failed: ${task.error ?? 'no reason recorded'}); name a step to run again, or retry from the start`,
  );
}

/**
 * What runs again from `from`: that step, every step that depends on it (transitively), every
 * step made after it (the gates and fixes of work that is redone), and whatever did not finish.
 */
function stepsToRerun(steps: readonly StepRow[], from: StepRow): StepRow[] {
  const keys = new Set([from.key]);
  for (let isGrowing = true; isGrowing;) {
    isGrowing = false;
    for (const step of steps) {
      if (!keys.has(step.key) && step.dependsOn.some((key) => keys.has(key))) {
        keys.add(step.key);
        isGrowing = true;
      }
    }
  }
  return steps.filter(
    (step) =>
      keys.has(step.key) ||
      step.createdAt.getTime() > from.createdAt.getTime() ||
      step.status !== 'done',
  );
}

/**
 * The fresh rows of a retry: the steps made no later than `from` (the plan's steps and the
 * gate round it belongs to). Later steps are not copied: the state machine makes them again
 * when the work they followed is done, and the merge comes from its passed gates.
 */
function copiesOf(rerun: readonly StepRow[], from: StepRow): StepInput[] {
  return rerun
    .filter((step) => step.createdAt.getTime() <= from.createdAt.getTime() && step.kind !== 'merge')
    .map((step) => ({
      key: step.key,
      kind: step.kind as StepInput['kind'],
      role: step.role,
      goal: step.goal,
      acceptance: Array.isArray(step.acceptance) ? step.acceptance.map(String) : [],
      dependsOn: step.dependsOn,
      round: step.round,
    }));
}

async function supersede(tx: Db, stepIds: readonly string[]) {
  if (stepIds.length === 0) return;
  await tx
    .update(tables.steps)
    .set({ status: 'superseded', updatedAt: new Date() })
    .where(inArray(tables.steps.id, [...stepIds]));
}

/** Questions and merges the earlier attempt waited on are moot: its steps do not run again. */
async function closeApprovals(tx: Db, taskId: string) {
  await tx
    .update(tables.approvals)
    .set({
      status: 'rejected',
      answer: 'The task was retried; this approval belonged to an earlier attempt.',
      decidedAt: new Date(),
    })
    .where(and(eq(tables.approvals.taskId, taskId), eq(tables.approvals.status, 'pending')));
}
