// The transitions after Cadre's own test run on a merge candidate: a pass (or an allowed skip)
// is recorded before the task is merged; a red run sends the task back to the developer with
// the failing output, within the round limit; no test command at all fails the task, stated.
// A base (an upstream) that conflicts with the task sends it back too, naming the files.
import type { Db } from '../db/index.js';
import type { AbsorbedConflict } from '../workspace/index.js';
import type { TaskRow } from './tasks.js';
import { emit, queueFixRound, setTaskStatus, type EventSink } from './transitions.js';
import type { Verification } from './verify-merge.js';

/** How much of the output an event carries; the fix round's goal carries all of the tail. */
const eventTailChars = 2_000;

/** Records a verification in the task's events: `verification-<status>`. */
export async function recordVerification(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  verification: Verification,
) {
  const { status, ...data } = verification;
  const shown = 'tail' in data ? { ...data, tail: data.tail.slice(-eventTailChars) } : data;
  await emit(tx, sink, task, `verification-${status}`, shown);
}

/** The merge candidate of gate round `round` failed its tests, or had none to run. */
export async function afterVerificationFailed(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  round: number,
  verification: Verification,
) {
  await recordVerification(tx, sink, task, verification);
  if (verification.status === 'missing') {
    return setTaskStatus(tx, sink, task, 'failed', `Not merged: ${verification.reason}`);
  }
  if (verification.status !== 'failed') return;
  const how = verification.isTimedOut
    ? 'ran out of time'
    : `exited with ${String(verification.exitCode)}`;
  const headline = `Cadre ran \`${verification.command}\` on this task merged with the current base branch, and it ${how}.`;
  await queueFixRound(tx, sink, task, round, {
    goal: `${headline} The task's branch now holds that merge. Make the tests pass, run them, and commit.\n\nThe end of the output:\n${verification.tail}`,
    failure: `${headline} The round limit is reached, so the task is not merged. The end of the output:\n${verification.tail.slice(-eventTailChars)}`,
  });
}

/** The task's branch conflicts with its base (which follows the upstream): a fix round resolves it. */
export async function afterBaseConflict(
  tx: Db,
  sink: EventSink,
  task: TaskRow,
  round: number,
  conflict: AbsorbedConflict,
) {
  await emit(tx, sink, task, 'merge-conflicted', {
    paths: conflict.paths,
    commit: conflict.commit,
  });
  const files = conflict.paths.join(', ');
  const headline = `The base branch changed since this task started (the upstream moved, or another task merged), and it conflicts with this task in ${files}.`;
  await queueFixRound(tx, sink, task, round, {
    goal: `${headline} The task's branch now holds the merge of the base, with git's conflict markers (<<<<<<<, =======, >>>>>>>) in ${files}. Resolve each conflict keeping both sides' intent, remove every marker, run the tests, and commit.`,
    failure: `${headline} The round limit is reached, so the task is not merged.`,
  });
}
