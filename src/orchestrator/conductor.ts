// The conductor runs one claimed step in three parts (step-phases.ts): prepare the worktrees,
// run the role's agent, finish by merging and handing the outcome to the state machine in the
// transaction that commits the step (a merge step tests the merge result first). Events, on
// every path, are published after their commit.
import { eq } from 'drizzle-orm';
import type { SecretBox } from '../auth/index.js';
import type { RoleDefinition } from '../agents/index.js';
import type { Bus, Subscription } from '../bus/index.js';
import type { Database, Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Gateway } from '../llm/index.js';
import type { Logger } from '../observability/index.js';
import type { Workspaces } from '../workspace/index.js';
import { cancelChannel } from './events.js';
import { createOutbox } from './outbox.js';
import { listRoles } from './roles.js';
import { createStepContext } from './step-context.js';
import { finishStep, prepareStep, runStepAgent, type PhaseServices } from './step-phases.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import { emit, lockTask, setTaskStatus } from './transitions.js';
import type { AfterCommit } from './work-queue.js';
import type { StepHandler } from './worker.js';
import type { DeliveryServices } from './deliver.js';
import type { MergeLock } from './workspace-records.js';

export interface ConductorOptions {
  database: Database;
  gateway: Pick<Gateway, 'generate'>;
  workspaces: Workspaces;
  bus: Bus;
  logger: Logger;
  configRoles?: readonly RoleDefinition[];
  /** The longest one agent may run. */
  agentWallTimeMs?: number;
  /** What delivering to a project's remote needs (push and pull-request modes). */
  delivery?: DeliveryServices;
  /** Opens projects' upstream credentials; without it a project with an upstream fails its steps. */
  secrets?: SecretBox;
  /** One merge of a project at a time (createMergeLock); without it merges race and retry. */
  mergeLock?: MergeLock;
}

export interface Conductor {
  handler: StepHandler;
  /** Aborts the running steps of tasks cancelled anywhere (a broadcast on the bus). */
  listenForCancellations(): Promise<Subscription>;
  /**
   * Fails the task of a dead-lettered step, in the transaction that dead-letters it; the
   * returned work publishes the events once that transaction has committed.
   */
  onDead(tx: Db, stepIds: string[], error: string): Promise<AfterCommit>;
  /** Errors that retrying cannot fix. */
  isRetryable(error: unknown): boolean;
}

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
  // What a step left in its worktree is refused the same way on every attempt.
  'WORKSPACE_NESTED_REPOSITORY',
  'WORKSPACE_SYMLINK_OUTSIDE',
  'GIT_CONFIG_UNTRUSTED',
  // A delivery the project's settings or the remote refuse: a retry would meet the same.
  'HOST_NOT_CONFIGURED',
  'HOST_AUTH_FAILED',
  'REMOTE_PUSH_REJECTED',
  // The upstream refused the credential or the address: retrying asks the same again. An
  // unreachable upstream is retried: the host may come back.
  'REMOTE_AUTH_FAILED',
  'REMOTE_BRANCH_NOT_FOUND',
  'REMOTE_HOST_KEY_CHANGED',
  'REMOTE_ADDRESS_REFUSED',
]);

/** The step handler that workers run. */
export function createConductor(options: ConductorOptions): Conductor {
  const { database, bus } = options;
  const { db } = database;
  const services: PhaseServices = options;

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

  const handler: StepHandler = async (claimed, signal) => {
    const rows = await loadStep(db, claimed.stepId);
    const { task } = rows;
    // Aborted when the worker loses the lease or stops, or when the task is cancelled.
    const cancelled = new AbortController();
    const context = createStepContext({
      db,
      bus,
      claimed,
      rows,
      signal: AbortSignal.any([signal, cancelled.signal]),
    });
    // Registered from the start: a merge step's test run stops on cancellation too.
    const controllers = running.get(task.id) ?? new Set();
    running.set(task.id, controllers.add(cancelled));
    let prepared;
    let roles;
    let ran;
    try {
      prepared = await prepareStep(context, services);
      if (prepared.early) return prepared.early;
      roles = await listRoles(db, task.orgId, options.configRoles);
      ran = await runStepAgent(context, services, {
        roles,
        stepRef: prepared.stepRef,
        cancelled,
        isTaskFinished: () => isFinished(task.id),
      });
    } finally {
      controllers.delete(cancelled);
      if (controllers.size === 0) running.delete(task.id);
    }
    if ('early' in ran) return ran.early;
    return finishStep(context, services, {
      agent: ran.agent,
      roles,
      stepRef: prepared.stepRef,
      taskBranch: prepared.taskBranch,
    });
  };

  return {
    handler,
    listenForCancellations: () =>
      bus.listen(cancelChannel, (payload) => cancel((payload as { taskId: string }).taskId)),
    isRetryable: (error) => !(error instanceof CadreError && permanentCodes.has(error.code)),
    async onDead(tx, stepIds, error) {
      const outbox = createOutbox(bus);
      for (const stepId of stepIds) {
        const [step] = await tx.select().from(tables.steps).where(eq(tables.steps.id, stepId));
        if (!step) continue;
        const task = await lockTask(tx, step.taskId);
        if (finishedStatuses.includes(task.status as TaskStatus)) continue;
        await emit(tx, outbox.sink, task, 'step-dead', { key: step.key, error });
        await setTaskStatus(
          tx,
          outbox.sink,
          task,
          'failed',
          `Step ${step.key} (${step.role}) failed: ${error}`,
        );
      }
      // Run by the work queue once the dead-lettering has committed.
      return outbox.publish;
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
