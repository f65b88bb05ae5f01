// Task worktrees: each task gets its own branch, checked out in its own folder, started
// from a base branch that is remembered for diffs and merges.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
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

const baseKey = (branch: string) => `branch.${branch}.cadrebase`;

/** Creates the task's branch and worktree from `baseBranch` (the repository's default branch when absent). */
export async function createTaskWorktree(
  project: ProjectLayout,
  taskId: string,
  baseBranch?: string,
): Promise<TaskWorktree> {
  const info = await getRepositoryInfo(project);
  const base = checkBranchName('baseBranch', baseBranch ?? info.baseBranch);
  const task = taskLayout(project, taskId);
  if (existsSync(task.path) || info.branches.includes(task.branch)) {
    throw new CadreError('WORKSPACE_EXISTS', `Task ${taskId} already has a worktree.`);
  }
  if (!info.branches.includes(base)) {
    throw new CadreError(
      'VALIDATION_FAILED',
      `baseBranch: the repository has no branch "${base}".`,
      {
        details: [{ field: 'baseBranch', message: 'no such branch' }],
      },
    );
  }
  const gitDir = project.gitDir;
  await runGit({ gitDir, args: ['worktree', 'add', '-b', task.branch, task.path, base] });
  await runGit({ gitDir, args: ['config', baseKey(task.branch), base] });
  return { taskId, path: task.path, gitDir: task.gitDir, branch: task.branch, baseBranch: base };
}

/** The task's worktree, or WORKSPACE_NOT_FOUND. */
export async function getTaskWorktree(
  project: ProjectLayout,
  taskId: string,
): Promise<TaskWorktree> {
  const task = taskLayout(project, taskId);
  if (!existsSync(task.path) || !existsSync(task.gitDir)) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      `Task ${taskId} has no worktree; create it with POST .../worktree first.`,
    );
  }
  const base = await runGit({ gitDir: project.gitDir, args: ['config', baseKey(task.branch)] });
  return {
    taskId,
    path: task.path,
    gitDir: task.gitDir,
    branch: task.branch,
    baseBranch: base.stdout.trim(),
  };
}

/**
 * The task's branch, whether or not its worktree still exists; WORKSPACE_NOT_FOUND when the
 * task never had one.
 */
export async function getTaskBranch(project: ProjectLayout, taskId: string): Promise<TaskBranch> {
  const task = taskLayout(project, taskId);
  const gitDir = project.gitDir;
  const notFound = new CadreError(
    'WORKSPACE_NOT_FOUND',
    `Task ${taskId} has no branch; create its worktree with POST .../worktree first.`,
  );
  if (!existsSync(gitDir)) throw notFound;
  const [base, head] = await Promise.all([
    runGit({ gitDir, args: ['config', baseKey(task.branch)], okExitCodes: [1] }),
    runGit({
      gitDir,
      args: ['rev-parse', '--verify', '--quiet', `refs/heads/${task.branch}`],
      okExitCodes: [1],
    }),
  ]);
  if (base.exitCode !== 0 || head.exitCode !== 0) throw notFound;
  return { taskId, gitDir, branch: task.branch, baseBranch: base.stdout.trim() };
}

/** Removes the task's worktree folder; its branch (and so its commits) stays. */
export async function removeTaskWorktree(project: ProjectLayout, taskId: string): Promise<void> {
  const worktree = await getTaskWorktree(project, taskId);
  await rm(worktree.path, { recursive: true, force: true });
  await runGit({ gitDir: project.gitDir, args: ['worktree', 'prune'] });
}
