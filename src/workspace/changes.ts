// A task's changes: committing what its worktree holds, and the diff of its branch (with
// uncommitted work) against the base it started from. Reading a diff changes nothing.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './git.js';
import type { TaskWorktree } from './worktrees.js';

/** One changed file. */
export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'changed';
}

/** A task's changes against its base. */
export interface TaskDiff {
  baseBranch: string;
  branch: string;
  /** The commit the branch and the base last had in common. */
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

/** Commits everything in the worktree to the task's branch; returns the commit, or null when nothing changed. */
export async function commitTaskChanges(
  worktree: TaskWorktree,
  message: string,
  date?: Date,
): Promise<string | null> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  await runGit({ ...git, args: ['add', '--all', '--', '.'] });
  const staged = await runGit({ ...git, args: ['diff', '--cached', '--quiet'], okExitCodes: [1] });
  if (staged.exitCode === 0) return null;
  const env = date
    ? { GIT_AUTHOR_DATE: date.toISOString(), GIT_COMMITTER_DATE: date.toISOString() }
    : undefined;
  await runGit({ ...git, env, args: ['commit', '--no-verify', '--quiet', '-m', message] });
  return (await runGit({ ...git, args: ['rev-parse', 'HEAD'] })).stdout.trim();
}

/** The diff of the task's branch and uncommitted work against its base; touches no index. */
export async function diffTask(worktree: TaskWorktree): Promise<TaskDiff> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const mergeBase = (
    await runGit({ ...git, args: ['merge-base', worktree.baseBranch, 'HEAD'] })
  ).stdout.trim();
  // A private index, so that untracked files show and the task's own index is left alone.
  const indexFile = join(worktree.gitDir, `cadre-diff-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await runGit({ ...git, env, args: ['read-tree', 'HEAD'] });
    await runGit({ ...git, env, args: ['add', '--all', '--', '.'] });
    const names = await runGit({
      ...git,
      env,
      args: ['diff', '--cached', '--name-status', '-z', '-M', mergeBase],
    });
    const patch = await runGit({
      ...git,
      env,
      args: ['diff', '--cached', '-M', '--binary', mergeBase],
    });
    return {
      baseBranch: worktree.baseBranch,
      branch: worktree.branch,
      mergeBase,
      files: parseNameStatus(names.stdout),
      patch: patch.stdout,
    };
  } finally {
    await rm(indexFile, { force: true });
  }
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
