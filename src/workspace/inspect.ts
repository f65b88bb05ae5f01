// Read-only looks into a task's worktree for agents' git tools: status, a diff since a
// revision, and a search of tracked files. Arguments that come from a model are checked so
// that none can be read by git as an option.
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import { confinePathText } from './paths.js';
import type { TaskWorktree } from './worktrees.js';

const revisionPattern = /^[\w./~^@{}-]{1,200}$/;

/** `git status --short --branch` of the worktree. */
export async function statusOf(worktree: TaskWorktree): Promise<string> {
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  return (await runGit({ ...git, args: ['--no-optional-locks', 'status', '--short', '--branch'] }))
    .stdout;
}

/** The changes of the worktree (committed and not) since `since`, or since HEAD. */
export async function diffSince(worktree: TaskWorktree, since = 'HEAD'): Promise<string> {
  if (!revisionPattern.test(since) || since.startsWith('-')) {
    throw new CadreError('VALIDATION_FAILED', `since: "${since}" is not a revision.`, {
      details: [{ field: 'since', message: 'expected a commit, branch or relative revision' }],
    });
  }
  const git = { gitDir: worktree.gitDir, workTree: worktree.path };
  return (await runGit({ ...git, args: ['diff', '--end-of-options', since, '--'] })).stdout;
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
    okExitCodes: [1],
  });
  return result.stdout;
}
