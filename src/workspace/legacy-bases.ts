// Repositories made before task bases moved to Postgres kept each base in git config
// (branch.cadre/task-<id>.cadrebase), a key host git now refuses. This moves those keys into the
// task branch store once, then removes them from the config file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runGitRaw } from './git.js';
import { checkBranchName } from './layout.js';
import type { ProjectBases } from './worktrees.js';

const legacyKey = /^branch\.cadre\/task-([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.cadrebase$/;

/** Records every legacy base of the repository at `gitDir` in `bases`, then drops its key. */
export async function adoptLegacyBases(gitDir: string, bases: ProjectBases): Promise<void> {
  const path = join(gitDir, 'config');
  if (!existsSync(path)) return;
  // Read as checkRepositoryConfig reads it: that one file, no includes, nothing run.
  const listed = await runGitRaw(
    ['config', '--file', path, '--no-includes', '--null', '--get-regexp', '\\.cadrebase$'],
    { okExitCodes: [1] },
  );
  for (const entry of listed.stdout.split('\0').filter(Boolean)) {
    const [key = '', value = ''] = entry.split('\n');
    const taskId = legacyKey.exec(key)?.[1];
    if (!taskId) continue; // not Cadre's: left for the config check to refuse
    await bases.claim(taskId, checkBranchName('cadrebase', value));
    await runGitRaw(['config', '--file', path, '--unset-all', key], { okExitCodes: [5] });
  }
}
