// A private index holding what a worktree holds now (tracked and new files), for diffs and
// commits that must not touch the task's own index. Callers refuse nested repositories first;
// even when one appears meanwhile, git is never let into a submodule's folder, where it would
// start a git with the submodule's own configuration.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit, type GitEnv } from './git.js';
import type { TaskWorktree } from './worktrees.js';

/** A private index of a worktree's current content. */
export interface WorktreeSnapshot {
  /** Pass to runGit so that git reads and writes the private index. */
  env: GitEnv;
  indexFile: string;
  /** Deletes the private index. */
  discard(): Promise<void>;
}

/** Stages everything in the worktree into a new private index, starting from HEAD. */
export async function snapshotWorktree(
  worktree: Pick<TaskWorktree, 'gitDir' | 'path'>,
): Promise<WorktreeSnapshot> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const indexFile = join(worktree.gitDir, `cadre-snapshot-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: indexFile };
  const discard = () => rm(indexFile, { force: true });
  try {
    await runGit({ ...git, env, args: ['read-tree', 'HEAD'] });
    // For a gitlink git add runs `git status` inside the submodule's folder, with that
    // folder's own config (filters included): so the submodules the base already has are
    // left out of the pathspec, and their folders are never looked into.
    const gitlinks = await gitlinkPaths({ ...git, env });
    const excluded = gitlinks.map((path) => `:(exclude,literal)${path}`);
    await runGit({ ...git, env, args: ['add', '--all', '--', '.', ...excluded] });
  } catch (error) {
    await discard();
    throw error;
  }
  return { env, indexFile, discard };
}

async function gitlinkPaths(git: { gitDir: string; workTree: string; env: GitEnv }) {
  const staged = await runGit({ ...git, args: ['ls-files', '--stage', '-z'] });
  return staged.stdout
    .split('\0')
    .filter((entry) => entry.startsWith('160000 '))
    .map((entry) => entry.slice(entry.indexOf('\t') + 1));
}
