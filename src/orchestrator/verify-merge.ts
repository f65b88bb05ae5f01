// Cadre's own test run before a merge, as a merge queue does it: the task's branch merged with
// the current base (a commit no branch points to yet), checked out in a throwaway folder, its
// test command run in the project's sandbox. The base moves only if that run passed and
// neither branch moved meanwhile; a role's "passed" is evidence, never the verdict. With an
// upstream, the base is brought up to it first, so the run tests the newest upstream too.
import { CadreError } from '../errors/index.js';
import type { RunHandle } from '../sandbox/index.js';
import {
  configuredTestCommand,
  type AbsorbedConflict,
  detectTestCommand,
  type MergeCandidate,
  type MergeResult,
  type TaskRef,
  type TestCommand,
  type Workspaces,
} from '../workspace/index.js';
import type { MergeLock } from './workspace-records.js';

/** What Cadre's test run found on a merge candidate. */
export type Verification =
  | {
      status: 'passed' | 'failed';
      command: string;
      source: TestCommand['source'];
      exitCode: number | null;
      isTimedOut: boolean;
      /** The end of the run's output (stdout and stderr as they came). */
      tail: string;
      /** The merge candidate that was tested. */
      commit: string;
    }
  | { status: 'skipped' | 'missing'; reason: string; commit: string };

/** How a merge step ended: merged, refused by the tests, or in conflict with the base. */
export type MergeStepResult =
  | { merged: MergeResult; verification: Verification | null; conflict?: undefined }
  | { merged: null; verification: Verification; conflict?: undefined }
  | { merged: null; verification: null; conflict: AbsorbedConflict };

export interface MergeStepOptions {
  workspaces: Workspaces;
  task: TaskRef;
  message: string;
  /** The merge step's id: names the throwaway checkout and accounts the run to the step. */
  stepId: string;
  orgId: string;
  project: {
    testCommand: string | null;
    allowUntestedMerge: boolean;
    hasNetwork: boolean;
    approveNetworkCommands: boolean;
  };
  signal?: AbortSignal;
  /** How often a base that moved during the test run is merged and tested again. */
  maxRaces?: number;
  /**
   * False when the work is delivered elsewhere (a pull request): a passed run brings the
   * task's branch up to the tested merge, and the base stays where it is.
   */
  movesBase?: boolean;
  /** Brings the base up to the upstream (fetch, then fast-forward or merge); before each try. */
  syncBase?: () => Promise<unknown>;
  /**
   * Runs on a passed candidate just before the base moves to it (push mode pushes it to the
   * remote). REMOTE_PUSH_REJECTED from it, the upstream having moved, is a race like a base
   * that moved: the base is synced, and the merge made and tested again.
   */
  beforeMove?: (candidate: MergeCandidate) => Promise<unknown>;
  /** Holds other merges of the project back from planning to moving the base. */
  mergeLock?: MergeLock | undefined;
}

const tailChars = 8_000;

/**
 * Plans the merge, tests the result and moves the base only if it passed. A red (or missing)
 * verification moves nothing on the base; the task's branch is brought up to the tested merge
 * so that the fix starts from what failed. A base that conflicts with the task is merged into
 * the task's branch with its conflict markers, for a fix round to resolve.
 */
export async function verifyAndMerge(options: MergeStepOptions): Promise<MergeStepResult> {
  const lock: MergeLock = options.mergeLock ?? ((_projectId, work) => work());
  return lock(options.task.projectId, () => mergeRacing(options), options.signal);
}

async function mergeRacing(options: MergeStepOptions): Promise<MergeStepResult> {
  const { workspaces, task } = options;
  const maxRaces = options.maxRaces ?? 3;
  for (let race = 0; ; race++) {
    await options.syncBase?.();
    const candidate = await workspaces.planMerge(task, options.message).catch((error: unknown) => {
      if (error instanceof CadreError && error.code === 'MERGE_CONFLICT') return null;
      throw error;
    });
    if (candidate === null) {
      return { merged: null, verification: null, conflict: await workspaces.absorbConflict(task) };
    }
    // A re-run after the base already moved: it was verified before it moved.
    if (candidate.isAlreadyMerged) return { merged: stripCandidate(candidate), verification: null };
    const verification = await verifyCandidate(options, candidate);
    if (verification.status === 'missing') return { merged: null, verification };
    if (verification.status === 'failed') {
      await workspaces.absorbMerge(task, candidate);
      return { merged: null, verification };
    }
    options.signal?.throwIfAborted();
    if (options.movesBase === false) {
      await workspaces.absorbMerge(task, candidate);
      return { merged: stripCandidate(candidate), verification };
    }
    try {
      await options.beforeMove?.(candidate);
      return { merged: await workspaces.applyMerge(task, candidate), verification };
    } catch (error) {
      // The base (or the upstream) moved while the tests ran: what was tested is not what
      // would merge.
      const isRace =
        error instanceof CadreError &&
        (error.code === 'CONFLICT' || error.code === 'REMOTE_PUSH_REJECTED');
      if (!isRace || race + 1 >= maxRaces) throw error;
    }
  }
}

/** Runs the project's test command on the candidate in a throwaway checkout. */
async function verifyCandidate(
  options: MergeStepOptions,
  candidate: MergeCandidate,
): Promise<Verification> {
  const { workspaces, task, project } = options;
  const checkout = { ...task, name: options.stepId, commit: candidate.commit };
  return workspaces.withCheckout(checkout, async ({ tree, run }) => {
    const command = project.testCommand
      ? configuredTestCommand(project.testCommand)
      : await detectTestCommand(tree);
    if (!command) {
      const reason =
        'No test command is set on the project and none was detected (package.json "test" script, Makefile "test" target, pytest, go.mod or Cargo.toml).';
      return project.allowUntestedMerge
        ? {
            status: 'skipped',
            reason: `${reason} The project allows merging unverified.`,
            commit: candidate.commit,
          }
        : {
            status: 'missing',
            reason: `${reason} Set one with \`cadre project update <project> --test-command "<command>"\`, or allow unverified merges with --allow-untested-merge.`,
            commit: candidate.commit,
          };
    }
    const handle = await run({
      orgId: options.orgId,
      stepId: options.stepId,
      argv: command.argv,
      // Commands reach the network only where the project lets them without a human's approval.
      hasNetwork: project.hasNetwork && !project.approveNetworkCommands,
      signal: options.signal,
    });
    const { tail, result } = await collectTail(handle);
    // A run cut short by a lost lease or a cancelled task is no verdict on the code.
    options.signal?.throwIfAborted();
    const passed = result.exitCode === 0 && !result.isTimedOut;
    return {
      status: passed ? 'passed' : 'failed',
      command: command.source === 'project' ? project.testCommand! : command.argv.join(' '),
      source: command.source,
      exitCode: result.exitCode,
      isTimedOut: result.isTimedOut,
      tail,
      commit: candidate.commit,
    };
  });
}

/** The end of a run's output, stdout and stderr interleaved as they came. */
async function collectTail(handle: RunHandle) {
  let tail = '';
  for await (const event of handle.events) {
    if (event.type === 'stdout' || event.type === 'stderr') {
      tail = (tail + event.data).slice(-tailChars);
    } else if (event.type === 'output-truncated') {
      tail = `${tail}\n[output cut at ${event.limitBytes} bytes]\n`.slice(-tailChars);
    }
  }
  return { tail, result: await handle.result };
}

function stripCandidate(candidate: MergeCandidate): MergeResult {
  const { baseHead: _baseHead, taskHead: _taskHead, ...result } = candidate;
  return result;
}
