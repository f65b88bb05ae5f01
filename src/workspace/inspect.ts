// Read-only looks into a task's worktree for agents' git tools: status, a diff since a
// revision, and a search of its files. Arguments that come from a model are checked so
// that none can be read by git as an option; none of these changes the worktree or its index.
import { CadreError } from '../errors/index.js';
import { noDrivers, runGit } from './git.js';
import { refuseNestedRepositories } from './nested-repositories.js';
import { confinePathText } from './paths.js';
import { snapshotWorktree } from './snapshot.js';
import type { TaskWorktree } from './worktrees.js';

const maxSearchChars = 100_000;

/** `git status --short --branch` of the worktree; submodules' folders are not looked into. */
export async function statusOf(worktree: TaskWorktree): Promise<string> {
  await refuseNestedRepositories(worktree, 'show the status');
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const args = ['--no-optional-locks', 'status', '--short', '--branch', '--ignore-submodules=all'];
  return (await runGit({ ...git, args })).stdout;
}

/**
 * The changes of the worktree (committed and not, new files included) since `since`, or since
 * HEAD. A private index holds the new files, so the task's own index is left alone.
 */
export async function diffSince(worktree: TaskWorktree, since = 'HEAD'): Promise<string> {
  const base = await checkRevision(worktree, since);
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  await refuseNestedRepositories(worktree, 'show the diff');
  const snapshot = await snapshotWorktree(worktree);
  try {
    const args = ['diff', '--cached', ...noDrivers, '-M', base, '--'];
    return (await runGit({ ...git, env: snapshot.env, args })).stdout;
  } finally {
    await snapshot.discard();
  }
}

/**
 * Lines of the worktree's files (tracked and new, not ignored) that match the extended regular
 * expression `pattern`. It searches a snapshot, not the files themselves: git grep on the
 * worktree would follow a folder replaced by a symlink to files of the server.
 */
export async function searchWorktree(
  worktree: TaskWorktree,
  pattern: string,
  path?: string,
): Promise<string> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  const scope = path ? [confinePathText(worktree.path, path).relative || '.'] : [];
  await refuseNestedRepositories(worktree, 'search the code');
  const snapshot = await snapshotWorktree(worktree);
  const args = ['grep', '--cached', '--no-textconv', '-n', '-I', '-E', '-e', pattern, '--'];
  const result = await runGit({
    ...git,
    env: snapshot.env,
    args: [...args, ...scope],
    okExitCodes: [1, 128],
  }).finally(() => snapshot.discard());
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
