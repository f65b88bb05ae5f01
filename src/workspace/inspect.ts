// Read-only looks into a task's worktree for agents' git tools: status, a diff since a
// revision, and a search of tracked files. Arguments that come from a model are checked so
// that none can be read by git as an option; none of these changes the worktree or its index.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import { confinePathText } from './paths.js';
import type { TaskWorktree } from './worktrees.js';

const maxSearchChars = 100_000;

/** `git status --short --branch` of the worktree. */
export async function statusOf(worktree: TaskWorktree): Promise<string> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  return (await runGit({ ...git, args: ['--no-optional-locks', 'status', '--short', '--branch'] }))
    .stdout;
}

/**
 * The changes of the worktree (committed and not, new files included) since `since`, or since
 * HEAD. A private index holds the new files, so the task's own index is left alone.
 */
export async function diffSince(worktree: TaskWorktree, since = 'HEAD'): Promise<string> {
  const base = await checkRevision(worktree, since);
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const indexFile = join(worktree.gitDir, `cadre-diff-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await runGit({ ...git, env, args: ['read-tree', 'HEAD'] });
    await runGit({ ...git, env, args: ['add', '--all', '--', '.'] });
    return (await runGit({ ...git, env, args: ['diff', '--cached', '-M', base, '--'] })).stdout;
  } finally {
    await rm(indexFile, { force: true });
  }
}

/** Lines of tracked files (as they are in the worktree) that match the extended regular expression `pattern`. */
export async function searchTracked(
  worktree: TaskWorktree,
  pattern: string,
  path?: string,
): Promise<string> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const scope = path ? [confinePathText(worktree.path, path).relative || '.'] : [];
  const result = await runGit({
    ...git,
    args: ['grep', '-n', '-I', '-E', '-e', pattern, '--', ...scope],
    okExitCodes: [1, 128],
  });
  if (result.exitCode === 128) {
    const reason = result.stderr.trim();
    throw new CadreError(
      'VALIDATION_FAILED',
      `pattern: cannot search for "${pattern}": ${reason}`,
      {
        details: [{ field: 'pattern', message: reason }],
      },
    );
  }
  return result.stdout.length > maxSearchChars
    ? `${result.stdout.slice(0, maxSearchChars)}\n… (more matches left out; narrow the pattern or the path)\n`
    : result.stdout;
}

/** The commit `revision` names; VALIDATION_FAILED for an option or anything not a commit. */
async function checkRevision(worktree: TaskWorktree, revision: string): Promise<string> {
  const found = revision.startsWith('-')
    ? null
    : await runGit({
        gitDir: worktree.gitDir,
        args: ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`],
        okExitCodes: [1, 128],
      });
  if (!found || found.exitCode !== 0) {
    throw new CadreError(
      'VALIDATION_FAILED',
      `since: "${revision}" is not a commit of this repository.`,
      {
        details: [{ field: 'since', message: 'expected a commit, branch or relative revision' }],
      },
    );
  }
  return found.stdout.trim();
}
