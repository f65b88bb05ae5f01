// The repository config that host git may read: only the keys Cadre itself writes (and those
// git init and clone write). Any other key — a filter, a driver, an include, a core.* command —
// makes every git command on the repository fail before git starts.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { CadreError } from '../errors/index.js';

type RunRaw = (
  args: readonly string[],
  options: { okExitCodes?: readonly number[] },
) => Promise<{ stdout: string }>;

const allowedKeys = new Set([
  'core.repositoryformatversion',
  'core.filemode',
  'core.bare',
  'core.logallrefupdates',
  'core.ignorecase',
  'core.precomposeunicode',
  'core.symlinks',
  'extensions.objectformat',
  // Written by an import's clone and removed right after it.
  'remote.origin.url',
]);

const checked = new Map<string, string>();

/** Refuses, as GIT_CONFIG_UNTRUSTED, a repository whose config holds a key Cadre does not write. */
export async function checkRepositoryConfig(gitDir: string, runRaw: RunRaw): Promise<void> {
  const path = join(await commonDir(gitDir), 'config');
  const found = await stat(path).catch(() => null);
  if (!found) return; // nothing git could read either
  const signature = `${found.ino}:${found.size}:${found.mtimeMs}:${found.ctimeMs}`;
  if (checked.get(path) === signature) return;
  const listed = await runRaw(
    ['config', '--file', path, '--no-includes', '--list', '--name-only', '-z'],
    { okExitCodes: [1] },
  );
  const keys = listed.stdout.split('\0').filter(Boolean);
  const refused = [...new Set(keys.filter((key) => !isAllowed(key)))];
  if (refused.length > 0) {
    checked.delete(path);
    throw new CadreError(
      'GIT_CONFIG_UNTRUSTED',
      `The project's repository config holds ${refused.map((key) => `"${key}"`).join(', ')}, which Cadre does not write; git will not run on it until an administrator removes ${refused.length === 1 ? 'that key' : 'those keys'} from the repository's config file.`,
      { details: { keys: refused } },
    );
  }
  checked.set(path, signature);
}

function isAllowed(key: string): boolean {
  return allowedKeys.has(key.toLowerCase());
}

/** The repository that holds the config: a worktree's git dir names it in its `commondir` file. */
async function commonDir(gitDir: string): Promise<string> {
  const named = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => null);
  if (named === null) return gitDir;
  const dir = named.trim();
  return isAbsolute(dir) ? dir : resolve(gitDir, dir);
}
