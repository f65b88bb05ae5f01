// Task worktrees: each task gets its own branch, checked out in its own folder, started
// from a base branch that is remembered for diffs and merges.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import { checkBranchName, taskLayout, type ProjectLayout } from './layout.js';
import { getRepositoryInfo } from './repository.js';

/** A task's worktree. */
export interface TaskWorktree {
  taskId: string;
  /** The worktree folder on the server; the sandbox mounts it as /workspace. */
  path: string;
  gitDir: string;
  branch: string;
  baseBranch: string;
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

/** Removes the task's worktree folder; its branch (and so its commits) stays. */
export async function removeTaskWorktree(project: ProjectLayout, taskId: string): Promise<void> {
  const worktree = await getTaskWorktree(project, taskId);
  await rm(worktree.path, { recursive: true, force: true });
  await runGit({ gitDir: project.gitDir, args: ['worktree', 'prune'] });
}
