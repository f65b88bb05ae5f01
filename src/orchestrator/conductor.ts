// The conductor runs one claimed step: it prepares the step's worktree, runs the role's agent,
// merges the work into the task's branch (or, for the merge step, tests the merge result and
// merges it into the base), and hands the outcome to the state machine in the transaction
// that commits the step. Events are published on the bus once they committed.
import { eq } from 'drizzle-orm';
import { runAgent, StepSuspended, type AgentEvent, type RoleDefinition } from '../agents/index.js';
import type { Bus, Subscription } from '../bus/index.js';
import type { Database, Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Gateway } from '../llm/index.js';
import type { Logger } from '../observability/index.js';
import type { TaskRef, Workspaces } from '../workspace/index.js';
import { createCheckpoints } from './checkpoints.js';
import { cancelChannel, publishEvents, type PublishedEvent } from './events.js';
import { afterVerificationFailed, recordVerification } from './merge-gate.js';
import { stepPrompt } from './prompts.js';
import { listRoles } from './roles.js';
import { createStepHost } from './step-host.js';
import { ensureWorktree, mergeStep } from './step-worktrees.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import {
  afterGate,
  afterMerge,
  afterPlan,
  afterWork,
  emit,
  lockTask,
  setTaskStatus,
  type EventSink,
} from './transitions.js';
import { verifyAndMerge } from './verify-merge.js';
import type { StepHandler, StepOutcome } from './worker.js';

export interface ConductorOptions {
  database: Database;
  gateway: Pick<Gateway, 'generate'>;
  workspaces: Workspaces;
  bus: Bus;
  logger: Logger;
  configRoles?: readonly RoleDefinition[];
  /** The longest one agent may run. */
  agentWallTimeMs?: number;
}

export interface Conductor {
  handler: StepHandler;
  /** Aborts the running steps of tasks cancelled anywhere (a broadcast on the bus). */
  listenForCancellations(): Promise<Subscription>;
  /** Fails the task of a dead-lettered step, in the transaction that dead-letters it. */
  onDead(tx: Db, stepIds: string[], error: string): Promise<void>;
  /** Errors that retrying cannot fix. */
  isRetryable(error: unknown): boolean;
}

type Published = PublishedEvent;

const permanentCodes = new Set([
  'LLM_BUDGET_EXCEEDED',
  'LLM_NOT_CONFIGURED',
  'LLM_NO_ELIGIBLE_MODEL',
  'LLM_PRIVACY_VIOLATION',
  'AGENT_TURN_LIMIT',
  'AGENT_LOOP_DETECTED',
  'AGENT_TIME_LIMIT',
  'MERGE_CONFLICT',
  'NOT_FOUND',
]);

/** The step handler that workers run. */
export function createConductor(options: ConductorOptions): Conductor {
  const { database, bus, logger } = options;
  const { db } = database;

  const publish = (events: Published[]) => publishEvents(bus, events);
  // The running steps of each task, to abort them when the task is cancelled.
  const running = new Map<string, Set<AbortController>>();
  const cancel = (taskId: string) =>
    running.get(taskId)?.forEach((controller) => controller.abort(new Error('task cancelled')));
  const isFinished = async (taskId: string) => {
    const [row] = await db
      .select({ status: tables.tasks.status })
      .from(tables.tasks)
      .where(eq(tables.tasks.id, taskId));
    return !row || finishedStatuses.includes(row.status as TaskStatus);
  };

  /** Appends events in a transaction of their own and publishes them. */
  const record = async (work: (tx: Db, sink: EventSink) => Promise<void>) => {
    const events: Published[] = [];
    await db.transaction(async (tx) => work(tx, (event) => void events.push(event)));
    await publish(events);
  };

  const handler: StepHandler = async (claimed, signal) => {
    const { step, task, project } = await loadStep(db, claimed.stepId);
    const events: Published[] = [];
    const sink: EventSink = (event) => void events.push(event);
    const outcome = (
      result: unknown,
      agentStatus: 'idle' | 'waiting',
      transition: (tx: Db) => Promise<void>,
    ): StepOutcome => ({ result, transition, agentStatus, afterCommit: () => publish(events) });
    if (finishedStatuses.includes(task.status as TaskStatus)) {
      return outcome({ skipped: `the task is ${task.status}` }, 'idle', async (tx) => {
        await tx
          .update(tables.steps)
          .set({ status: 'cancelled' })
          .where(eq(tables.steps.id, step.id));
      });
    }
    await record(async (tx, recordSink) => {
      const locked = await lockTask(tx, task.id);
      if (locked.status === 'queued') await setTaskStatus(tx, recordSink, locked, 'planning');
      await emit(tx, recordSink, locked, 'step-started', {
        key: step.key,
        role: step.role,
        attempt: claimed.attempts,
      });
    });

    const taskRef: TaskRef = { projectId: project.id, taskId: task.id };
    const taskWorktree = await ensureWorktree(options.workspaces, taskRef);
    if (step.kind === 'merge') {
      // The test run stops when the task is cancelled, as an agent does.
      const cancelled = new AbortController();
      const controllers = running.get(task.id) ?? new Set();
      running.set(task.id, controllers.add(cancelled));
      const { merged, verification } = await verifyAndMerge({
        workspaces: options.workspaces,
        task: taskRef,
        message: `Merge task: ${task.title}`,
        stepId: step.id,
        orgId: task.orgId,
        project,
        signal: AbortSignal.any([signal, cancelled.signal]),
      }).finally(() => {
        controllers.delete(cancelled);
        if (controllers.size === 0) running.delete(task.id);
      });
      const result = { commit: merged?.commit ?? null, verification: verification?.status };
      return outcome(result, 'idle', async (tx) => {
        const locked = await lockTask(tx, task.id);
        if (!merged) {
          // A task cancelled meanwhile gets no fix round; one whose base moved is merged.
          if (finishedStatuses.includes(locked.status as TaskStatus)) return;
          return afterVerificationFailed(tx, sink, locked, step.round, verification);
        }
        if (verification) await recordVerification(tx, sink, locked, verification);
        await afterMerge(tx, sink, locked, merged.commit);
      });
    }

    const roles = await listRoles(db, task.orgId, options.configRoles);
    const role = roles.get(step.role);
    if (!role)
      throw new CadreError(
        'NOT_FOUND',
        `The plan names the role "${step.role}", which does not exist.`,
      );
    const stepRef: TaskRef = { projectId: project.id, taskId: step.id };
    await ensureWorktree(options.workspaces, stepRef, taskWorktree.branch);
    // Aborted when the worker loses the lease or stops, or when the task is cancelled.
    const cancelled = new AbortController();
    const controllers = running.get(task.id) ?? new Set();
    running.set(task.id, controllers.add(cancelled));
    const stepSignal = AbortSignal.any([signal, cancelled.signal]);
    const host = createStepHost({
      db,
      workspaces: options.workspaces,
      gateway: options.gateway,
      worktree: stepRef,
      step: {
        id: step.id,
        orgId: task.orgId,
        taskId: task.id,
        projectId: project.id,
        role: step.role,
      },
      hasNetwork: project.hasNetwork,
      approveNetworkCommands: project.approveNetworkCommands,
      roles,
      signal: stepSignal,
    });
    let agent;
    try {
      agent = await runAgent({
        gateway: options.gateway,
        role,
        prompt: stepPrompt({ task, step, roles }),
        context: { orgId: task.orgId, projectId: project.id, taskId: task.id, stepId: step.id },
        host,
        checkpoints: createCheckpoints(db, task.orgId, claimed),
        signal: stepSignal,
        wallTimeMs: options.agentWallTimeMs,
        budgetUsd: task.budgetUsd === null ? null : Number(task.budgetUsd) * role.budgetShare,
        onEvent: async (event) => {
          await record(async (tx, recordSink) =>
            emit(
              tx,
              recordSink,
              await lockTask(tx, task.id),
              event.type,
              describe(step.key, event),
            ),
          );
          // Another process may have cancelled the task: look once per model turn.
          if (event.type === 'agent-turn' && (await isFinished(task.id))) {
            cancelled.abort(new Error('task cancelled'));
          }
        },
      });
    } catch (error) {
      if (cancelled.signal.aborted) {
        return outcome({ cancelled: true }, 'idle', async (tx) => {
          await tx
            .update(tables.steps)
            .set({ status: 'cancelled' })
            .where(eq(tables.steps.id, step.id));
        });
      }
      if (!(error instanceof StepSuspended)) throw error;
      return outcome(null, 'waiting', async (tx) => {
        await tx
          .update(tables.steps)
          .set({ status: 'waiting' })
          .where(eq(tables.steps.id, step.id));
        const locked = await lockTask(tx, task.id);
        await emit(tx, sink, locked, 'approval-requested', {
          kind: 'question',
          key: step.key,
          reason: error.reason,
        });
        await setTaskStatus(tx, sink, locked, 'waiting');
      });
    } finally {
      controllers.delete(cancelled);
      if (controllers.size === 0) running.delete(task.id);
    }

    const conflict = ['work', 'fix', 'test'].includes(step.kind)
      ? await mergeStep(options.workspaces, stepRef, step.key, taskWorktree.branch)
      : null;
    await options.workspaces
      .removeTaskWorktree(stepRef)
      .catch((error: unknown) =>
        logger.warn({ err: error, stepId: step.id }, 'could not remove a step worktree'),
      );
    const result = { summary: agent.summary, result: agent.result };
    return outcome(result, 'idle', async (tx) => {
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
  };

  return {
    handler,
    listenForCancellations: () =>
      bus.listen(cancelChannel, (payload) => cancel((payload as { taskId: string }).taskId)),
    isRetryable: (error) => !(error instanceof CadreError && permanentCodes.has(error.code)),
    async onDead(tx, stepIds, error) {
      const events: Published[] = [];
      for (const stepId of stepIds) {
        const [step] = await tx.select().from(tables.steps).where(eq(tables.steps.id, stepId));
        if (!step) continue;
        const task = await lockTask(tx, step.taskId);
        if (finishedStatuses.includes(task.status as TaskStatus)) continue;
        await emit(tx, (event) => void events.push(event), task, 'step-dead', {
          key: step.key,
          error,
        });
        await setTaskStatus(
          tx,
          (event) => void events.push(event),
          task,
          'failed',
          `Step ${step.key} (${step.role}) failed: ${error}`,
        );
      }
      // Published once the dead-lettering commits; a lost publish only delays live viewers.
      setImmediate(() => void publish(events).catch(() => undefined));
    },
  };
}

/** A claimed step with its task and project; NOT_FOUND (never retried) when one is gone. */
async function loadStep(db: Db, stepId: string) {
  const [row] = await db
    .select({ step: tables.steps, task: tables.tasks, project: tables.projects })
    .from(tables.steps)
    .innerJoin(tables.tasks, eq(tables.tasks.id, tables.steps.taskId))
    .innerJoin(tables.projects, eq(tables.projects.id, tables.tasks.projectId))
    .where(eq(tables.steps.id, stepId));
  if (!row) throw new CadreError('NOT_FOUND', `Step ${stepId}, its task or its project is gone.`);
  return row;
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
