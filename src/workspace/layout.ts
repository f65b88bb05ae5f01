// Where a project's repository and its tasks' worktrees live under the data folder, and the
// names of task branches. It must never build a path from an unchecked id.
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The folders of one project's workspace. */
export interface ProjectLayout {
  root: string;
  /** The bare repository every worktree shares. */
  gitDir: string;
  tasksDir: string;
}

/** The layout of `projectId`'s workspace under `dataDir`. */
export function projectLayout(dataDir: string, projectId: string): ProjectLayout {
  checkId('projectId', projectId);
  const root = join(dataDir, 'workspaces', projectId);
  return { root, gitDir: join(root, 'repo.git'), tasksDir: join(root, 'tasks') };
}

/** The worktree folder, git admin folder and branch of one task. */
export function taskLayout(project: ProjectLayout, taskId: string) {
  checkId('taskId', taskId);
  return {
    path: join(project.tasksDir, taskId),
    // git names a worktree's admin folder after the worktree folder's base name.
    gitDir: join(project.gitDir, 'worktrees', taskId),
    branch: `cadre/task-${taskId}`,
  };
}

/**
 * A throwaway checkout of one commit (see checkouts.ts). Its folder's base name starts with
 * "checkout-" so that its git admin folder never shares a task's name.
 */
export function checkoutLayout(project: ProjectLayout, name: string) {
  checkId('name', name);
  const folder = `checkout-${name}`;
  return {
    path: join(project.root, 'checkouts', folder),
    gitDir: join(project.gitDir, 'worktrees', folder),
  };
}

/**
 * The ref that keeps the base branch's head from just before the task was merged into it, so
 * that a merged task's diff still shows what the merge brought in.
 */
export function preMergeRef(taskId: string): string {
  checkId('taskId', taskId);
  return `refs/cadre/pre-merge/${taskId}`;
}

/** The ref that keeps a task branch's head from an earlier attempt that a retry started over. */
export function attemptRef(taskId: string, attempt: number): string {
  checkId('taskId', taskId);
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`bad attempt ${attempt}`);
  return `refs/cadre/attempts/${taskId}/${attempt}`;
}

/** Refuses a branch name git would not accept or that looks like an option. */
export function checkBranchName(field: string, name: string): string {
  const isValid =
    /^[A-Za-z0-9._/-]{1,200}$/.test(name) &&
    !name.startsWith('-') &&
    !name.startsWith('/') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.includes('..') &&
    !name.includes('//');
  if (!isValid) {
    throw new CadreError('VALIDATION_FAILED', `${field}: "${name}" is not a valid branch name.`, {
      details: [{ field, message: 'not a valid branch name' }],
    });
  }
  return name;
}

function checkId(field: string, id: string) {
  if (!idPattern.test(id)) {
    throw new CadreError('VALIDATION_FAILED', `${field}: "${id}" is not a valid id.`, {
      details: [{ field, message: 'expected letters, digits, - and _' }],
    });
  }
}
