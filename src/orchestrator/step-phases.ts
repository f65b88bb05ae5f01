// The three parts of running one claimed step: prepare (log the start, make the worktrees),
// run the role's agent, and finish (merge the work, hand the result to the state machine).
// Merge steps (verify and deliver) are merge-step.ts's.
// Each part changes state only through the step's context, so events publish after commit.
import { eq } from 'drizzle-orm';
import {
  runAgent,
  StepSuspended,
  type AgentEvent,
  type AgentOutcome,
  type RoleDefinition,
} from '../agents/index.js';
import type { SecretBox } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Gateway } from '../llm/index.js';
import type { Logger } from '../observability/index.js';
import type { TaskRef, Workspaces } from '../workspace/index.js';
import { createCheckpoints } from './checkpoints.js';
import type { DeliveryServices } from './deliver.js';
import { runMergeStep } from './merge-step.js';
import { stepPrompt } from './prompts.js';
import type { StepContext } from './step-context.js';
import { createStepHost } from './step-host.js';
import { ensureWorktree, mergeStep, upstreamSync } from './step-worktrees.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import { afterGate, afterPlan, afterWork, emit, lockTask, setTaskStatus } from './transitions.js';
import type { MergeLock } from './workspace-records.js';
import type { StepOutcome } from './worker.js';

export interface PhaseServices {
  gateway: Pick<Gateway, 'generate'>;
  workspaces: Workspaces;
  logger: Logger;
  agentWallTimeMs?: number | undefined;
  /** What delivering to a project's remote needs (push and pull-request modes). */
  delivery?: DeliveryServices | undefined;
  /** Opens the upstream credentials of projects that have one. */
  secrets?: SecretBox | undefined;
  mergeLock?: MergeLock | undefined;
}

/** A step's worktree once prepared; `early` when the step ends without an agent. */
export type Prepared =
  { early: StepOutcome } | { early?: undefined; taskBranch: string; stepRef: TaskRef };

const markStep = (status: 'cancelled' | 'waiting') => async (tx: Db, stepId: string) => {
  await tx.update(tables.steps).set({ status }).where(eq(tables.steps.id, stepId));
};

/** Records the start, prepares the worktrees, and ends merge steps and finished tasks. */
export async function prepareStep(
  context: StepContext,
  services: PhaseServices,
): Promise<Prepared> {
  const { step, task, project, claimed } = context;
  if (finishedStatuses.includes(task.status as TaskStatus)) {
    return {
      early: context.outcome({ skipped: `the task is ${task.status}` }, 'idle', (tx) =>
        markStep('cancelled')(tx, step.id),
      ),
    };
  }
  await context.record(async (tx, sink) => {
    const locked = await lockTask(tx, task.id);
    if (locked.status === 'queued') await setTaskStatus(tx, sink, locked, 'planning');
    await emit(tx, sink, locked, 'step-started', {
      key: step.key,
      role: step.role,
      attempt: claimed.attempts,
    });
  });
  const taskRef: TaskRef = { projectId: project.id, taskId: task.id };
  const sync = upstreamSync(context.db, services.secrets, services.workspaces, project);
  // Before the task's branch is made, its base catches up with the upstream.
  const syncLogged = sync
    ? async () => {
        const synced = await sync();
        await context.record(async (tx, sink) =>
          emit(tx, sink, await lockTask(tx, task.id), 'upstream-synced', { ...synced }),
        );
      }
    : undefined;
  const taskWorktree = await ensureWorktree(services.workspaces, taskRef, undefined, syncLogged);
  if (step.kind === 'merge') {
    return { early: await runMergeStep(context, services, taskRef, syncLogged) };
  }
  const stepRef: TaskRef = { projectId: project.id, taskId: step.id };
  await ensureWorktree(services.workspaces, stepRef, taskWorktree.branch);
  return { taskBranch: taskWorktree.branch, stepRef };
}

export interface AgentRun {
  roles: ReadonlyMap<string, RoleDefinition>;
  stepRef: TaskRef;
  /** Aborted when the task is cancelled anywhere. */
  cancelled: AbortController;
  /** Whether the task finished meanwhile (looked up once per model turn). */
  isTaskFinished: () => Promise<boolean>;
}

/** Runs (or resumes) the role's agent; an outcome when it was cancelled or must wait. */
export async function runStepAgent(
  context: StepContext,
  services: PhaseServices,
  run: AgentRun,
): Promise<{ agent: AgentOutcome } | { early: StepOutcome }> {
  const { db, step, task, project, claimed } = context;
  const role = run.roles.get(step.role);
  if (!role) {
    throw new CadreError(
      'NOT_FOUND',
      `The plan names the role "${step.role}", which does not exist.`,
    );
  }
  const ids = { orgId: task.orgId, projectId: project.id, taskId: task.id, stepId: step.id };
  const host = createStepHost({
    db,
    workspaces: services.workspaces,
    gateway: services.gateway,
    worktree: run.stepRef,
    step: {
      id: step.id,
      orgId: task.orgId,
      taskId: task.id,
      projectId: project.id,
      role: step.role,
    },
    hasNetwork: project.hasNetwork,
    testCommand: project.testCommand,
    approveNetworkCommands: project.approveNetworkCommands,
    roles: run.roles,
    signal: context.signal,
  });
  try {
    const agent = await runAgent({
      gateway: services.gateway,
      role,
      prompt: stepPrompt({ task, step, roles: run.roles }),
      context: ids,
      host,
      checkpoints: createCheckpoints(db, task.orgId, claimed),
      signal: context.signal,
      wallTimeMs: services.agentWallTimeMs,
      budgetUsd: task.budgetUsd === null ? null : Number(task.budgetUsd) * role.budgetShare,
      onEvent: async (event) => {
        await context.record(async (tx, sink) =>
          emit(tx, sink, await lockTask(tx, task.id), event.type, describe(step.key, event)),
        );
        // Another process may have cancelled the task: look once per model turn.
        if (event.type === 'agent-turn' && (await run.isTaskFinished())) {
          run.cancelled.abort(new Error('task cancelled'));
        }
      },
    });
    return { agent };
  } catch (error) {
    if (run.cancelled.signal.aborted) {
      return {
        early: context.outcome({ cancelled: true }, 'idle', (tx) =>
          markStep('cancelled')(tx, step.id),
        ),
      };
    }
    if (!(error instanceof StepSuspended)) throw error;
    return {
      early: context.outcome(null, 'waiting', async (tx, sink) => {
        await markStep('waiting')(tx, step.id);
        const locked = await lockTask(tx, task.id);
        await emit(tx, sink, locked, 'approval-requested', {
          kind: 'question',
          key: step.key,
          reason: error.reason,
        });
        await setTaskStatus(tx, sink, locked, 'waiting');
      }),
    };
  }
}

/** Merges the step's work into the task's branch and hands the result to the state machine. */
export async function finishStep(
  context: StepContext,
  services: PhaseServices,
  finished: {
    agent: AgentOutcome;
    roles: ReadonlyMap<string, RoleDefinition>;
    stepRef: TaskRef;
    taskBranch: string;
  },
): Promise<StepOutcome> {
  const { step, task, project } = context;
  const { agent, roles, stepRef } = finished;
  const conflict = ['work', 'fix', 'test'].includes(step.kind)
    ? await mergeStep(services.workspaces, stepRef, step.key, finished.taskBranch)
    : null;
  await services.workspaces
    .removeTaskWorktree(stepRef)
    .catch((error: unknown) =>
      services.logger.warn(
        { err: error, taskId: task.id, stepId: step.id },
        'could not remove a step worktree',
      ),
    );
  const result = { summary: agent.summary, result: agent.result };
  return context.outcome(result, 'idle', async (tx, sink) => {
    const locked = await lockTask(tx, task.id);
    if (finishedStatuses.includes(locked.status as TaskStatus)) return;
    await emit(tx, sink, locked, 'step-done', {
      key: step.key,
      role: step.role,
      summary: agent.summary,
    });
    if (step.kind === 'plan')
      return afterPlan(tx, sink, locked, step.round, agent.result, new Set(roles.keys()));
    if (step.kind === 'review' || step.kind === 'test')
      return afterGate(tx, sink, locked, step.round, project.approveBeforeMerge);
    return afterWork(tx, sink, locked, conflict);
  });
}

/** What an agent event records in the task's log: names and outcomes, never payloads. */
function describe(key: string, event: AgentEvent): Record<string, unknown> {
  if (event.type === 'agent-turn') {
    return {
      key,
      turn: event.turn,
      model: event.model,
      toolCalls: event.toolCalls,
      costUsd: event.costUsd,
    };
  }
  if (event.type === 'tool-call-start')
    return { key, tool: event.toolName, toolCallId: event.toolCallId };
  return { key, tool: event.toolName, toolCallId: event.toolCallId, isError: event.isError };
}
