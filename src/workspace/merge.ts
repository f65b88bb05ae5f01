// Merging a task's branch into its base without a checkout of the base: git merge-tree
// computes the result (planMerge, which a caller may test before anything moves), and the
// base moves only by a compare-and-swap of its ref (applyMerge). A conflict
// is MERGE_CONFLICT with the conflicting paths, and the base does not move. Before the base
// moves, the base's old head is kept under the task's pre-merge ref for its diff. The merged
// tree passes the same gate as a commit (no new gitlinks, no symlinks leading outside).
import { basename, join, resolve } from 'node:path';
import { CadreError } from '../errors/index.js';
import { commitTaskChanges } from './changes.js';
import { runGit } from './git.js';
import { preMergeRef } from './layout.js';
import { findNestedRepositories } from './nested-repositories.js';
import { checkTreeChange } from './tree-gate.js';
import type { TaskWorktree } from './worktrees.js';

/** The outcome of a merge. */
export interface MergeResult {
  baseBranch: string;
  branch: string;
  /** The base's new head (the merge commit, or the task's head for a fast-forward). */
  commit: string;
  isFastForward: boolean;
  isAlreadyMerged: boolean;
}

/**
 * The commit that merging a task would make its base's head, not yet on the base: what a
 * merge queue tests before it moves the base. Nothing moves until `applyMerge`.
 */
export interface MergeCandidate extends MergeResult {
  /** The base's head the candidate was made on; the base moves only from there. */
  baseHead: string;
  /** The task's head the candidate was made from. */
  taskHead: string;
}

/** Commits the task's pending work, then merges its branch into its base. */
export async function mergeTask(
  worktree: TaskWorktree,
  options: { message?: string; date?: Date } = {},
): Promise<MergeResult> {
  return applyMerge(worktree, await planMerge(worktree, options));
}

/**
 * Commits the task's pending work and makes the commit its base would get: the merge commit,
 * or the task's head for a fast-forward. A conflict is MERGE_CONFLICT; the base never moves.
 */
export async function planMerge(
  worktree: TaskWorktree,
  options: { message?: string; date?: Date } = {},
): Promise<MergeCandidate> {
  await commitTaskChanges(worktree, `Work of task ${worktree.taskId}`, options.date);
  const gitDir = worktree.gitDir;
  const baseHead = await rev(gitDir, `refs/heads/${worktree.baseBranch}`);
  const taskHead = await rev(gitDir, 'HEAD');
  const result = {
    baseBranch: worktree.baseBranch,
    branch: worktree.branch,
    baseHead,
    taskHead,
    isFastForward: false,
    isAlreadyMerged: false,
  };
  if (await isAncestor(gitDir, taskHead, baseHead))
    return { ...result, commit: baseHead, isAlreadyMerged: true };
  const gate = (tree: string) =>
    checkTreeChange({
      gitDir,
      from: `${baseHead}^{tree}`,
      to: tree,
      action: `merge ${worktree.branch} into ${worktree.baseBranch}`,
    });
  let tree: string;
  if (await isAncestor(gitDir, baseHead, taskHead)) {
    await gate(`${taskHead}^{tree}`);
    // A fast-forward only over one commit: over several, the base's first-parent line would
    // gain states that were never tested (a broken commit its fix follows). A merge commit
    // keeps that line to tested states, as a merge queue's does.
    if ((await rev(gitDir, `${taskHead}^`)) === baseHead) {
      return { ...result, commit: taskHead, isFastForward: true };
    }
    tree = await rev(gitDir, `${taskHead}^{tree}`);
  } else {
    tree = await mergedTree(worktree, baseHead, taskHead);
    await gate(tree);
  }
  const env = options.date
    ? {
        GIT_AUTHOR_DATE: options.date.toISOString(),
        GIT_COMMITTER_DATE: options.date.toISOString(),
      }
    : undefined;
  const message = options.message ?? `Merge ${worktree.branch} into ${worktree.baseBranch}`;
  const commit = await runGit({
    gitDir,
    env,
    args: ['commit-tree', tree, '-p', baseHead, '-p', taskHead, '-m', message],
  });
  return { ...result, commit: commit.stdout.trim() };
}

/** The tree of base and task merged; MERGE_CONFLICT, naming the paths, when they conflict. */
async function mergedTree(worktree: TaskWorktree, baseHead: string, taskHead: string) {
  const merged = await runGit({
    gitDir: worktree.gitDir,
    args: ['merge-tree', '--write-tree', '--name-only', '--no-messages', baseHead, taskHead],
    okExitCodes: [1],
  });
  const [tree = '', ...rest] = merged.stdout.split('\n');
  if (merged.exitCode === 1) {
    const paths = [...new Set(rest.filter(Boolean))];
    throw new CadreError(
      'MERGE_CONFLICT',
      `Merging ${worktree.branch} into ${worktree.baseBranch} conflicts in ${paths.join(', ')}; ${worktree.baseBranch} is unchanged. Resolve the conflicts on the task branch and merge again.`,
      { details: { baseBranch: worktree.baseBranch, branch: worktree.branch, paths } },
    );
  }
  return tree.trim();
}

/**
 * Moves the base to a planned candidate. When the base or the task's branch moved since the
 * candidate was made, CONFLICT: the candidate is stale (and whatever tested it tested
 * something else), so plan again.
 */
export async function applyMerge(
  worktree: TaskWorktree,
  candidate: MergeCandidate,
): Promise<MergeResult> {
  const gitDir = worktree.gitDir;
  const { baseHead, taskHead, ...result } = candidate;
  if (candidate.isAlreadyMerged) {
    await finishCheckoutUpdate(worktree);
    return result;
  }
  if ((await rev(gitDir, 'HEAD')) !== taskHead) {
    throw new CadreError('CONFLICT', `${worktree.branch} moved while merging; merge again.`);
  }
  // Kept before the base moves: a failed move leaves a ref that diffs exactly as the base did.
  await runGit({ gitDir, args: ['update-ref', preMergeRef(worktree.taskId), baseHead] });
  await moveBase(gitDir, `refs/heads/${worktree.baseBranch}`, candidate.commit, baseHead);
  return result;
}

/**
 * Brings a planned merge commit onto the task's branch (a fast-forward of its checkout), so
 * that the next work on the task starts from what its base holds now. Refused with CONFLICT
 * when the task's branch moved since the candidate was made.
 */
export async function absorbMerge(worktree: TaskWorktree, candidate: MergeCandidate) {
  if (candidate.isAlreadyMerged || candidate.isFastForward) return;
  const gitDir = worktree.gitDir;
  if ((await rev(gitDir, 'HEAD')) !== candidate.taskHead) {
    throw new CadreError('CONFLICT', `${worktree.branch} moved while merging; merge again.`);
  }
  await runGit({
    gitDir,
    workTree: worktree.path,
    args: ['merge', '--ff-only', '--quiet', candidate.commit],
  });
}

/** The task's branch after `absorbConflict`: the merge commit, with the paths left in conflict. */
export interface AbsorbedConflict {
  commit: string;
  paths: string[];
}

/**
 * Brings a base that conflicts with the task onto the task's branch: the merge commit holds
 * git's conflict markers in the conflicting files, and the branch (and its checkout) moves to
 * it, so that a fix round resolves them where the developer works. Refused with CONFLICT when
 * the merge does not conflict (nothing to resolve) or the branch moved meanwhile.
 */
export async function absorbConflict(worktree: TaskWorktree): Promise<AbsorbedConflict> {
  const gitDir = worktree.gitDir;
  const baseHead = await rev(gitDir, `refs/heads/${worktree.baseBranch}`);
  const taskHead = await rev(gitDir, 'HEAD');
  const merged = await runGit({
    gitDir,
    args: ['merge-tree', '--write-tree', '--name-only', '--no-messages', taskHead, baseHead],
    okExitCodes: [1],
  });
  if (merged.exitCode !== 1) {
    throw new CadreError(
      'CONFLICT',
      `${worktree.branch} no longer conflicts with its base; merge again.`,
    );
  }
  const [tree = '', ...rest] = merged.stdout.split('\n');
  const paths = [...new Set(rest.filter(Boolean))];
  await checkTreeChange({
    gitDir,
    from: `${taskHead}^{tree}`,
    to: tree.trim(),
    action: `bring ${worktree.baseBranch} into ${worktree.branch}`,
  });
  const message = `Merge ${worktree.baseBranch} into ${worktree.branch}, conflicts left in ${paths.join(', ')}`;
  const commit = (
    await runGit({
      gitDir,
      args: ['commit-tree', tree.trim(), '-p', taskHead, '-p', baseHead, '-m', message],
    })
  ).stdout.trim();
  await runGit({
    gitDir,
    workTree: worktree.path,
    args: ['merge', '--ff-only', '--quiet', commit],
  });
  return { commit, paths };
}

async function rev(gitDir: string, ref: string) {
  return (await runGit({ gitDir, args: ['rev-parse', '--verify', ref] })).stdout.trim();
}

async function isAncestor(gitDir: string, ancestor: string, of: string) {
  const run = await runGit({
    gitDir,
    args: ['merge-base', '--is-ancestor', ancestor, of],
    okExitCodes: [1],
  });
  return run.exitCode === 0;
}

/**
 * Moves the base ref only if nobody moved it meanwhile. When the base is checked out in
 * another worktree (a step merged into its task's branch), that checkout is carried along,
 * keeping any local edits that do not touch the merged files; when it cannot be,
 * WORKSPACE_CHECKOUT_STALE (the ref has moved: the caller's step fails rather than go on).
 */
async function moveBase(gitDir: string, ref: string, to: string, from: string) {
  try {
    await runGit({ gitDir, args: ['update-ref', ref, to, from] });
  } catch (error) {
    throw new CadreError('CONFLICT', `${ref} moved while merging; merge again.`, { cause: error });
  }
  const checkout = await findCheckout(gitDir, ref);
  if (!checkout) return;
  // A checkout holding a repository of its own is not carried along: git would look into it.
  const nested = await findNestedRepositories({ gitDir: checkout.gitDir, path: checkout.workTree });
  if (nested.length > 0) return;
  await updateCheckout(checkout, ref, from, to);
}

/**
 * Finishes the checkout update an earlier merge of this task did not (cut off, or refused): when
 * the base's checkout still holds exactly the base from before that merge (its pre-merge ref),
 * it is carried to the base's head. A checkout holding anything else is left as it is.
 */
async function finishCheckoutUpdate(worktree: TaskWorktree) {
  const gitDir = worktree.gitDir;
  const ref = `refs/heads/${worktree.baseBranch}`;
  const before = await runGit({
    gitDir,
    args: ['rev-parse', '--verify', '--quiet', `${preMergeRef(worktree.taskId)}^{commit}`],
    okExitCodes: [1],
  });
  if (before.exitCode !== 0) return;
  const checkout = await findCheckout(gitDir, ref);
  if (!checkout) return;
  const nested = await findNestedRepositories({ gitDir: checkout.gitDir, path: checkout.workTree });
  if (nested.length > 0) return;
  const from = before.stdout.trim();
  const [indexTree, fromTree, headTree] = await Promise.all([
    // An index mid-conflict has no tree: such a checkout is not one a merge left behind.
    runGit({ gitDir: checkout.gitDir, args: ['write-tree'] }).then(
      (run) => run.stdout.trim(),
      () => null,
    ),
    rev(gitDir, `${from}^{tree}`),
    rev(gitDir, `${ref}^{tree}`),
  ]);
  if (indexTree !== fromTree || indexTree === headTree) return;
  await updateCheckout(checkout, ref, from, await rev(gitDir, ref));
}

/** Carries a checkout of `ref` from commit `from` to `to`, or WORKSPACE_CHECKOUT_STALE. */
async function updateCheckout(
  checkout: { gitDir: string; workTree: string },
  ref: string,
  from: string,
  to: string,
) {
  // A file rewritten with the same content (writes replace files) is not a local change.
  await runGit({ ...checkout, args: ['update-index', '-q', '--refresh'], okExitCodes: [1] });
  await runGit({ ...checkout, args: ['read-tree', '-m', '-u', from, to] }).catch(
    (error: unknown) => {
      // Ignoring this would leave the old files checked out under the new head, and the next
      // commit there would undo the merge.
      throw new CadreError(
        'WORKSPACE_CHECKOUT_STALE',
        `${ref} moved to ${to}, but the worktree that has it checked out could not be updated (local changes to the merged files?); discard them there (committing them would undo the merge) and run the step again.`,
        { cause: error, details: { ref, commit: to } },
      );
    },
  );
}

/** The worktree (other than `gitDir`'s own) that has `ref` checked out, if any. */
async function findCheckout(gitDir: string, ref: string) {
  const mainGitDir = resolve(gitDir, '..', '..');
  const list = await runGit({ gitDir: mainGitDir, args: ['worktree', 'list', '--porcelain'] });
  for (const entry of list.stdout.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(entry)?.[1];
    if (path && entry.includes(`\nbranch ${ref}`)) {
      return { gitDir: join(mainGitDir, 'worktrees', basename(path)), workTree: path };
    }
  }
  return null;
}
