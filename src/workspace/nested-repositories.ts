// Finds git repositories planted inside a worktree: any `.git` below its root, which host git
// would treat as a nested repository (and read its config) or silently leave out. Ignored
// folders are left alone, since git never looks into them. It must never follow a symlink.
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { CadreError } from '../errors/index.js';
import { runGit } from './git.js';
import type { TaskWorktree } from './worktrees.js';

const maxReported = 20;

/** The `.git` entries below the worktree's root that git would see, as relative paths. */
export async function findNestedRepositories(
  worktree: Pick<TaskWorktree, 'gitDir' | 'path'>,
): Promise<string[]> {
  const found: string[] = [];
  const pending = [''];
  while (pending.length > 0 && found.length < maxReported * 5) {
    const relative = pending.pop()!;
    const children = await readdir(relative ? posix.join(worktree.path, relative) : worktree.path, {
      withFileTypes: true,
    }).catch(() => []);
    for (const child of children) {
      const childPath = relative ? `${relative}/${child.name}` : child.name;
      if (child.name === '.git') {
        if (relative) found.push(childPath); // the root's own .git is git's, not content
      } else if (child.isDirectory()) {
        pending.push(childPath);
      }
    }
  }
  if (found.length === 0) return [];
  const ignored = await ignoredPaths(worktree, found.map(posix.dirname));
  return found.filter((path) => !ignored.has(posix.dirname(path))).sort();
}

/** Refuses, as WORKSPACE_NESTED_REPOSITORY, a worktree holding a repository of its own. */
export async function refuseNestedRepositories(
  worktree: Pick<TaskWorktree, 'gitDir' | 'path'>,
  action: string,
): Promise<void> {
  const found = await findNestedRepositories(worktree);
  if (found.length === 0) return;
  const shown = found.slice(0, maxReported);
  const more = found.length > shown.length ? ` and ${found.length - shown.length} more` : '';
  throw new CadreError(
    'WORKSPACE_NESTED_REPOSITORY',
    `Cannot ${action}: the worktree holds a git repository of its own at ${shown.join(', ')}${more}. Cadre does not read or commit nested repositories or submodules; remove ${found.length === 1 ? 'it' : 'them'} (for example rm -rf ${shown[0]}) or add the folder to .gitignore, then try again.`,
    { details: { paths: found } },
  );
}

async function ignoredPaths(
  worktree: Pick<TaskWorktree, 'gitDir' | 'path'>,
  folders: string[],
): Promise<Set<string>> {
  const result = await runGit({
    gitDir: worktree.gitDir,
    workTree: worktree.path,
    args: ['check-ignore', '-z', '--stdin'],
    // "./" first: a folder named ":sub" must not be read as pathspec magic (":" prefix).
    input: folders.map((folder) => `./${folder}\0`).join(''),
    okExitCodes: [1],
  });
  return new Set(
    result.stdout
      .split('\0')
      .filter(Boolean)
      .map((path) => path.replace(/^\.\//, '')),
  );
}
