// Merging a task's branch into its base without a checkout of the base: git merge-tree
// computes the result, and the base moves only by a compare-and-swap of its ref. A conflict
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

/** Commits the task's pending work, then merges its branch into its base. */
export async function mergeTask(
  worktree: TaskWorktree,
  options: { message?: string; date?: Date } = {},
): Promise<MergeResult> {
  await commitTaskChanges(worktree, `Work of task ${worktree.taskId}`, options.date);
  const gitDir = worktree.gitDir;
  const baseRef = `refs/heads/${worktree.baseBranch}`;
  const rev = async (ref: string) =>
    (await runGit({ gitDir, args: ['rev-parse', '--verify', ref] })).stdout.trim();
  const baseHead = await rev(baseRef);
  const taskHead = await rev('HEAD');
  const result = {
    baseBranch: worktree.baseBranch,
    branch: worktree.branch,
    isFastForward: false,
    isAlreadyMerged: false,
  };
  const isAncestor = async (ancestor: string, of: string) =>
    (
      await runGit({
        gitDir,
        args: ['merge-base', '--is-ancestor', ancestor, of],
        okExitCodes: [1],
      })
    ).exitCode === 0;
  if (await isAncestor(taskHead, baseHead))
    return { ...result, commit: baseHead, isAlreadyMerged: true };
  // Kept before the base moves: a failed move leaves a ref that diffs exactly as the base did.
  const keepBase = () =>
    runGit({ gitDir, args: ['update-ref', preMergeRef(worktree.taskId), baseHead] });
  const gate = (tree: string) =>
    checkTreeChange({
      gitDir,
      from: `${baseHead}^{tree}`,
      to: tree,
      action: `merge ${worktree.branch} into ${worktree.baseBranch}`,
    });
  if (await isAncestor(baseHead, taskHead)) {
    await gate(`${taskHead}^{tree}`);
    await keepBase();
    await moveBase(gitDir, baseRef, taskHead, baseHead);
    return { ...result, commit: taskHead, isFastForward: true };
  }
  const merged = await runGit({
    gitDir,
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
  await gate(tree.trim());
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
    args: ['commit-tree', tree.trim(), '-p', baseHead, '-p', taskHead, '-m', message],
  });
  await keepBase();
  await moveBase(gitDir, baseRef, commit.stdout.trim(), baseHead);
  return { ...result, commit: commit.stdout.trim() };
}

/**
 * Moves the base ref only if nobody moved it meanwhile. When the base is checked out in
 * another worktree (a step merged into its task's branch), that checkout is carried along,
 * keeping any local edits that do not touch the merged files.
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
  await runGit({ ...checkout, args: ['read-tree', '-m', '-u', from, to] }).catch(() => undefined);
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
