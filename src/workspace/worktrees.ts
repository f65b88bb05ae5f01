// Task worktrees: each task gets its own branch, checked out in its own folder, started
// from a base branch recorded in the task branch store (never in git config). Creating a
// worktree is idempotent: whatever an interrupted creation left is repaired, not refused.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import { checkBranchName, taskLayout, type ProjectLayout } from './layout.js';
import { getRepositoryInfo } from './repository.js';

/** A task's branch and the base branch it started from. */
export interface TaskBranch {
  taskId: string;
  /** The git directory to run git in: the worktree's own, or the project's without one. */
  gitDir: string;
  branch: string;
  baseBranch: string;
}

/** A task's worktree. */
export interface TaskWorktree extends TaskBranch {
  /** The worktree folder on the server; the sandbox mounts it as /workspace. */
  path: string;
}

/** The task branch store, bound to one project. */
export interface ProjectBases {
  get(taskId: string): Promise<string | null>;
  claim(taskId: string, baseBranch: string): Promise<string>;
}

/** What creating a worktree needs besides the project's folders. */
export interface CreateWorktreeOptions {
  baseBranch?: string;
  bases: ProjectBases;
  /** Runs git work while nothing else touches the project's repository. */
  locked: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Creates the task's branch and worktree from `baseBranch` (the repository's default branch
 * when absent), or brings back the one an earlier call made: a branch without a folder is
 * checked out again, a folder git does not know is replaced, a registration without its
 * folder is pruned. The same call twice gives the same worktree, on the first call's base.
 */
export async function createTaskWorktree(
  project: ProjectLayout,
  taskId: string,
  { baseBranch, bases, locked }: CreateWorktreeOptions,
): Promise<TaskWorktree> {
  const task = taskLayout(project, taskId);
  const info = await getRepositoryInfo(project);
  const requested = checkBranchName('baseBranch', baseBranch ?? info.baseBranch);
  const recorded = await bases.get(taskId);
  if (recorded === null && !info.branches.includes(requested)) {
    throw new CadreError(
      'VALIDATION_FAILED',
      `baseBranch: the repository has no branch "${requested}".`,
      { details: [{ field: 'baseBranch', message: 'no such branch' }] },
    );
  }
  // Recorded before git makes the branch, so no branch ever exists without its base.
  const base = recorded ?? (await bases.claim(taskId, requested));
  const gitDir = project.gitDir;
  await locked(async () => {
    await runGit({ gitDir, args: ['worktree', 'prune'] });
    if (isComplete(task)) return;
    // Half made: git's admin folder without a finished checkout, or a folder git does not
    // know. Neither holds work (writes need both), so both go and the branch is checked out.
    await rm(task.gitDir, { recursive: true, force: true });
    await rm(task.path, { recursive: true, force: true });
    await runGit({ gitDir, args: ['worktree', 'prune'] });
    const branches = (await getRepositoryInfo(project)).branches;
    const args = branches.includes(task.branch)
      ? ['worktree', 'add', task.path, task.branch]
      : ['worktree', 'add', '-b', task.branch, task.path, base];
    await runGit({ gitDir, args });
  });
  return { taskId, path: task.path, gitDir: task.gitDir, branch: task.branch, baseBranch: base };
}

/** The task's worktree, or WORKSPACE_NOT_FOUND. */
export async function getTaskWorktree(
  project: ProjectLayout,
  taskId: string,
  bases: ProjectBases,
): Promise<TaskWorktree> {
  const task = taskLayout(project, taskId);
  // A half-made worktree is not one: createTaskWorktree repairs it.
  const base = isComplete(task) ? await bases.get(taskId) : null;
  if (base === null) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      `Task ${taskId} has no worktree; create it with POST .../worktree first.`,
    );
  }
  return { taskId, path: task.path, gitDir: task.gitDir, branch: task.branch, baseBranch: base };
}

/**
 * The task's branch, whether or not its worktree still exists; WORKSPACE_NOT_FOUND when the
 * task never had one.
 */
export async function getTaskBranch(
  project: ProjectLayout,
  taskId: string,
  bases: ProjectBases,
): Promise<TaskBranch> {
  const task = taskLayout(project, taskId);
  const gitDir = project.gitDir;
  const notFound = new CadreError(
    'WORKSPACE_NOT_FOUND',
    `Task ${taskId} has no branch; create its worktree with POST .../worktree first.`,
  );
  if (!existsSync(gitDir)) throw notFound;
  const [base, head] = await Promise.all([
    bases.get(taskId),
    runGit({
      gitDir,
      args: ['rev-parse', '--verify', '--quiet', `refs/heads/${task.branch}`],
      okExitCodes: [1],
    }),
  ]);
  if (base === null || head.exitCode !== 0) throw notFound;
  return { taskId, gitDir, branch: task.branch, baseBranch: base };
}

/** Removes the task's worktree folder; its branch (and so its commits) stays. */
export async function removeTaskWorktree(project: ProjectLayout, taskId: string): Promise<void> {
  const task = taskLayout(project, taskId);
  if (!existsSync(task.path) || !existsSync(task.gitDir)) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      `Task ${taskId} has no worktree; create it with POST .../worktree first.`,
    );
  }
  await rm(task.path, { recursive: true, force: true });
  await runGit({ gitDir: project.gitDir, args: ['worktree', 'prune'] });
}

/**
 * Starts the task's branch over: its head is kept under `keepAs` (attemptRef), then its
 * worktree and branch go, so that the next createTaskWorktree branches afresh from the
 * recorded base's current head. Nothing to keep (no branch) is not an error: a retry that
 * was interrupted after this ran runs it again.
 */
export async function archiveTaskBranch(
  project: ProjectLayout,
  taskId: string,
  keepAs: string,
): Promise<string | null> {
  const task = taskLayout(project, taskId);
  const gitDir = project.gitDir;
  if (!existsSync(gitDir)) return null;
  const head = await runGit({
    gitDir,
    args: ['rev-parse', '--verify', '--quiet', `refs/heads/${task.branch}`],
    okExitCodes: [1],
  });
  if (head.exitCode !== 0) return null;
  const commit = head.stdout.trim();
  await runGit({ gitDir, args: ['update-ref', keepAs, commit] });
  await rm(task.path, { recursive: true, force: true });
  await runGit({ gitDir, args: ['worktree', 'prune'] });
  await runGit({ gitDir, args: ['branch', '-D', task.branch] });
  return commit;
}

/**
 * Whether the task's worktree is registered and checked out: git's admin folder, the folder
 * with its .git link, and no "locked" file (git leaves one while `worktree add` runs; Cadre
 * never locks a worktree itself).
 */
function isComplete(task: { path: string; gitDir: string }): boolean {
  return (
    existsSync(task.gitDir) &&
    existsSync(join(task.path, '.git')) &&
    !existsSync(join(task.gitDir, 'locked'))
  );
}
