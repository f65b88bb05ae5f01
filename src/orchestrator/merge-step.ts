// A task's merge step: Cadre's own test run on the merge candidate, then the delivery the
// project asks for. 'local' moves Cadre's base; 'push' moves it and pushes it to the remote;
// 'pull-request' leaves the base alone, pushes the tested merge to the task's branch on the
// remote and opens (or updates) its pull request. The host is told after the commit.
import type { Db } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';
import type { TaskRef, Workspaces } from '../workspace/index.js';
import {
  deliverPullRequest,
  deliverPush,
  type DeliveryServices,
  type PullRequestDelivery,
} from './deliver.js';
import { recordDelivery } from './deliveries.js';
import { notifyPullRequest } from './host-notices.js';
import { saveTaskHostLink } from './host-links.js';
import { afterBaseConflict, afterVerificationFailed, recordVerification } from './merge-gate.js';
import type { StepContext } from './step-context.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import type { TaskRow } from './tasks.js';
import { afterMerge, emit, lockTask, setTaskStatus, type EventSink } from './transitions.js';
import { verifyAndMerge } from './verify-merge.js';
import type { StepOutcome } from './worker.js';
import type { MergeLock } from './workspace-records.js';

export interface MergeStepServices {
  workspaces: Workspaces;
  logger: Logger;
  /** Needed by projects that deliver to a remote ('push', 'pull-request'). */
  delivery?: DeliveryServices | undefined;
  /** One merge of a project at a time. */
  mergeLock?: MergeLock | undefined;
}

/** Runs the merge step and returns its outcome. */
export async function runMergeStep(
  context: StepContext,
  services: MergeStepServices,
  taskRef: TaskRef,
  syncBase?: () => Promise<unknown>,
): Promise<StepOutcome> {
  const { db, step, task, project } = context;
  const mode = project.deliveryMode;
  const delivery = mode === 'local' ? undefined : requireDelivery(services, mode);
  const { merged, verification, conflict } = await verifyAndMerge({
    workspaces: services.workspaces,
    task: taskRef,
    message: `Merge task: ${task.title}`,
    stepId: step.id,
    orgId: task.orgId,
    project,
    signal: context.signal,
    mergeLock: services.mergeLock,
    movesBase: mode !== 'pull-request',
    syncBase,
    // Push mode: the remote takes the tested merge before Cadre's base moves to it; an
    // upstream that moved meanwhile refuses it, and the merge is synced, made and tested again.
    beforeMove:
      mode === 'push'
        ? (candidate) => deliverPush(db, delivery!, { project, commit: candidate.commit })
        : undefined,
  });
  const failed = async (tx: Db, sink: EventSink) => {
    const locked = await lockTask(tx, task.id);
    // A task cancelled meanwhile gets no fix round.
    if (finishedStatuses.includes(locked.status as TaskStatus)) return;
    if (conflict) return afterBaseConflict(tx, sink, locked, step.round, conflict);
    return afterVerificationFailed(tx, sink, locked, step.round, verification!);
  };
  if (!merged) {
    const failure = {
      commit: null,
      verification: verification?.status,
      conflicts: conflict?.paths,
    };
    return context.outcome(failure, 'idle', failed);
  }
  const result = { commit: merged.commit, verification: verification?.status };
  if (mode === 'pull-request') {
    const pull = await deliverPullRequest(db, delivery!, {
      project,
      task,
      commit: merged.commit,
      verification,
    });
    const outcome = context.outcome(
      { ...result, pullRequest: pull.url },
      'idle',
      async (tx, sink) => {
        const locked = await lockTask(tx, task.id);
        if (verification) await recordVerification(tx, sink, locked, verification);
        await afterPullRequest(tx, sink, locked, pull);
      },
    );
    return {
      ...outcome,
      afterCommit: async () => {
        await outcome.afterCommit?.();
        await notifyPullRequest(db, delivery!, { project, task, pull }).catch((error: unknown) =>
          services.logger.warn(
            { taskId: task.id, code: error instanceof CadreError ? error.code : 'INTERNAL' },
            'the git host was not told about the pull request',
          ),
        );
      },
    };
  }
  // Already pushed before the base moved; again only for a re-run that found it merged.
  const pushed =
    mode === 'push' ? await deliverPush(db, delivery!, { project, commit: merged.commit }) : null;
  return context.outcome(result, 'idle', async (tx, sink) => {
    const locked = await lockTask(tx, task.id);
    if (verification) await recordVerification(tx, sink, locked, verification);
    await afterMerge(tx, sink, locked, merged);
    // Recorded after afterMerge's 'local' record: the pushed branch is where the work went.
    if (pushed) {
      await recordDelivery(tx, locked, { mode: 'push', ...pushed });
      await emit(tx, sink, locked, 'branch-pushed', {
        branch: pushed.branch,
        commit: pushed.commit,
      });
    }
  });
}

function requireDelivery(services: MergeStepServices, mode: string): DeliveryServices {
  if (services.delivery) return services.delivery;
  throw new CadreError(
    'HOST_NOT_CONFIGURED',
    `The project delivers by ${mode}, but this worker was started without the secret box it needs to reach the remote. Start workers with \`cadre up\` or \`cadre worker\`.`,
  );
}

/** The task's pull request is open with the tested work: the task is done. */
async function afterPullRequest(tx: Db, sink: EventSink, task: TaskRow, pull: PullRequestDelivery) {
  await recordDelivery(tx, task, {
    mode: 'pull-request',
    url: pull.url,
    number: pull.number,
    branch: pull.branch,
    commit: pull.commit,
    state: 'open',
  });
  await saveTaskHostLink(tx, {
    taskId: task.id,
    orgId: task.orgId,
    projectId: task.projectId,
    pullRequestNumber: pull.number,
    pullRequestUrl: pull.url,
    headBranch: pull.branch,
  });
  await emit(tx, sink, task, pull.isCreated ? 'pull-request-opened' : 'pull-request-updated', {
    url: pull.url,
    number: pull.number,
    branch: pull.branch,
    commit: pull.commit,
  });
  await setTaskStatus(tx, sink, task, 'done');
}
