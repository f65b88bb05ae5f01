// A task's changes: committing what its worktree holds, and the diff of its branch (with
// uncommitted work) against the base it started from, which a merge does not erase. Reading a
// diff changes nothing.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';
import { noDrivers, runGit } from './git.js';
import { preMergeRef } from './layout.js';
import { refuseNestedRepositories } from './nested-repositories.js';
import { snapshotWorktree } from './snapshot.js';
import { checkTreeChange } from './tree-gate.js';
import type { TaskBranch, TaskWorktree } from './worktrees.js';

/** One changed file. */
export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'changed';
}

/** A task's changes against its base. */
export interface TaskDiff {
  baseBranch: string;
  branch: string;
  /**
   * The commit the diff is taken against: the one the branch and the base last had in common
   * or, once the branch is merged, the one they had in common just before the merge.
   */
  mergeBase: string;
  files: ChangedFile[];
  patch: string;
}

const statusNames: Record<string, ChangedFile['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
};

/**
 * Commits everything in the worktree to the task's branch; returns the commit, or null when
 * nothing changed. The tree passes the gate first: a planted nested repository or a symlink
 * leading outside is refused, and then neither the branch nor the task's index changes.
 */
export async function commitTaskChanges(
  worktree: TaskWorktree,
  message: string,
  date?: Date,
): Promise<string | null> {
  const { gitDir } = worktree;
  await refuseNestedRepositories(worktree, 'commit the worktree');
  const snapshot = await snapshotWorktree(worktree);
  try {
    const tree = (await runGit({ gitDir, env: snapshot.env, args: ['write-tree'] })).stdout.trim();
    const head = (await runGit({ gitDir, args: ['rev-parse', '--verify', 'HEAD'] })).stdout.trim();
    const headTree = (
      await runGit({ gitDir, args: ['rev-parse', '--verify', `${head}^{tree}`] })
    ).stdout.trim();
    if (tree === headTree) return null;
    await checkTreeChange({ gitDir, from: headTree, to: tree, action: 'commit the worktree' });
    const env = date
      ? { GIT_AUTHOR_DATE: date.toISOString(), GIT_COMMITTER_DATE: date.toISOString() }
      : undefined;
    // Plumbing rather than `git commit`: no hooks, no editor, no refresh of the worktree.
    const commit = (
      await runGit({ gitDir, env, args: ['commit-tree', tree, '-p', head, '-m', message] })
    ).stdout.trim();
    await runGit({ gitDir, args: ['update-ref', '-m', 'commit', 'HEAD', commit, head] });
    // The snapshot is now exactly HEAD: it becomes the task's index.
    await rename(snapshot.indexFile, join(gitDir, 'index'));
    return commit;
  } finally {
    await snapshot.discard();
  }
}

/** The diff of the task's branch and uncommitted work against its base; touches no index. */
export async function diffTask(worktree: TaskWorktree): Promise<TaskDiff> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const mergeBase = await diffBase(worktree, 'HEAD');
  // A private index, so that untracked files show and the task's own index is left alone.
  await refuseNestedRepositories(worktree, 'show the diff');
  const snapshot = await snapshotWorktree(worktree);
  try {
    const diff = (args: string[]) =>
      runGit({ ...git, env: snapshot.env, args: ['diff', '--cached', ...noDrivers, ...args] });
    return await toTaskDiff(worktree, mergeBase, diff);
  } finally {
    await snapshot.discard();
  }
}

/** The diff of a task whose worktree was removed: its branch's commits against its base. */
export async function diffTaskBranch(branch: TaskBranch): Promise<TaskDiff> {
  const head = `refs/heads/${branch.branch}`;
  const mergeBase = await diffBase(branch, head);
  const diff = (args: string[]) =>
    runGit({ gitDir: branch.gitDir, args: ['diff', ...noDrivers, ...args, head, '--'] });
  return toTaskDiff(branch, mergeBase, diff);
}

/**
 * Where the branch left its base. Once the branch is merged that is the branch's own head,
 * which would show nothing: then the base's head from just before the merge stands in.
 */
async function diffBase(branch: TaskBranch, head: string): Promise<string> {
  const { gitDir, baseBranch, taskId } = branch;
  const commitOf = async (revision: string) => {
    const found = await runGit({
      gitDir,
      args: ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`],
      okExitCodes: [1],
    });
    return found.exitCode === 0 ? found.stdout.trim() : null;
  };
  const mergeBase = async (revision: string) =>
    (await runGit({ gitDir, args: ['merge-base', revision, head] })).stdout.trim();
  const [headCommit, base, preMerge] = await Promise.all([
    commitOf(head),
    commitOf(`refs/heads/${baseBranch}`),
    commitOf(preMergeRef(taskId)),
  ]);
  const sinceBase = base ? await mergeBase(base) : null;
  if (sinceBase && sinceBase !== headCommit) return sinceBase;
  if (preMerge) return mergeBase(preMerge);
  if (sinceBase) return sinceBase;
  throw new CadreError(
    'INVALID_STATE',
    `The base branch "${baseBranch}" of task ${taskId} no longer exists, so its changes have nothing to be compared with; recreate the branch to see them.`,
    { details: { baseBranch, branch: branch.branch } },
  );
}

async function toTaskDiff(
  branch: TaskBranch,
  mergeBase: string,
  diff: (args: string[]) => Promise<{ stdout: string }>,
): Promise<TaskDiff> {
  const names = await diff(['--name-status', '-z', '-M', mergeBase]);
  const patch = await diff(['-M', '--binary', mergeBase]);
  return {
    baseBranch: branch.baseBranch,
    branch: branch.branch,
    mergeBase,
    files: parseNameStatus(names.stdout),
    patch: patch.stdout,
  };
}

function parseNameStatus(text: string): ChangedFile[] {
  const parts = text.split('\0').filter(Boolean);
  const files: ChangedFile[] = [];
  for (let index = 0; index < parts.length;) {
    const code = parts[index]!;
    const letter = code[0]!;
    // Renames and copies name the old path, then the new one.
    const path = letter === 'R' || letter === 'C' ? parts[index + 2]! : parts[index + 1]!;
    index += letter === 'R' || letter === 'C' ? 3 : 2;
    files.push({ path, status: statusNames[letter] ?? 'changed' });
  }
  return files;
}
