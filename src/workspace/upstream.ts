// A project's repository that follows an upstream: created from one upstream branch, and its
// base branch brought up to the upstream's before work starts on it. The base branch mirrors
// the upstream; commits only Cadre has (local-mode merges) are kept, never dropped.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { CadreError } from '../errors/index.js';
import { runGit, runGitRaw } from './git.js';
import type { ProjectLayout } from './layout.js';
import { fetchBranch, inspectRemote, type RemoteAccess, type RemotePolicy } from './remote.js';
import { getRepositoryInfo, type RepositoryInfo } from './repository.js';

/** How a sync brought the base branch up to the upstream. */
export interface BaseSync {
  baseBranch: string;
  /** The upstream's head that was fetched. */
  upstream: string;
  /** The base branch's head after the sync. */
  head: string;
  outcome: 'up-to-date' | 'fast-forward' | 'merged' | 'created';
}

/**
 * Creates the project's repository from the upstream's `branch` (its default branch when
 * absent): checks the branch exists first, then fetches it alone. A failure leaves nothing.
 * At creation an unreachable upstream is WORKSPACE_IMPORT_FAILED, as any import is.
 */
export async function cloneUpstream(
  layout: ProjectLayout,
  remote: RemoteAccess,
  branch: string | undefined,
  policy: RemotePolicy,
): Promise<RepositoryInfo> {
  if (existsSync(layout.gitDir)) {
    throw new CadreError(
      'WORKSPACE_EXISTS',
      'This project already has a repository; delete the project to start over.',
    );
  }
  const hadRoot = existsSync(layout.root);
  await mkdir(layout.tasksDir, { recursive: true });
  try {
    const found = await inspectRemote(layout, remote, branch, policy);
    // Any web server "serves" an empty repository over git's dumb protocol: no ref at all is
    // answered as an unreadable source, so that it tells nothing of what listens there.
    if (found.defaultBranch === null && found.branchHead === null) {
      throw new CadreError('REMOTE_UNREACHABLE', 'no refs');
    }
    const chosen = branch ?? found.defaultBranch;
    if (chosen === null || (branch !== undefined && found.branchHead === null)) {
      throw new CadreError(
        'REMOTE_BRANCH_NOT_FOUND',
        branch === undefined
          ? 'branch: the repository names no default branch; give the branch to start from.'
          : `branch: the repository has no branch "${branch}". Check the name, or leave it out to use the default branch.`,
        { details: { field: 'branch' } },
      );
    }
    await runGitRaw(['init', '--bare', `--initial-branch=${chosen}`, layout.gitDir], {});
    const { commit } = await fetchBranch(layout, remote, chosen, policy);
    await runGit({ gitDir: layout.gitDir, args: ['update-ref', `refs/heads/${chosen}`, commit] });
    return await getRepositoryInfo(layout);
  } catch (error) {
    await rm(hadRoot ? layout.gitDir : layout.root, { recursive: true, force: true });
    throw asImportError(error);
  }
}

/**
 * Fetches the upstream's `branch` and brings the base branch of that name up to it: a
 * fast-forward when the base has nothing of its own, else a merge of the upstream into the
 * base. A conflict is MERGE_CONFLICT with the paths; the base does not move.
 */
export async function syncBase(
  layout: ProjectLayout,
  remote: RemoteAccess,
  branch: string,
  policy: RemotePolicy,
): Promise<BaseSync> {
  const { commit: upstream } = await fetchBranch(layout, remote, branch, policy);
  const gitDir = layout.gitDir;
  const ref = `refs/heads/${branch}`;
  const found = await runGit({
    gitDir,
    args: ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`],
    okExitCodes: [1],
  });
  const result = { baseBranch: branch, upstream };
  if (found.exitCode !== 0) {
    // The upstream branch changed (remoteBranch was set): the base follows it from now on.
    await runGit({ gitDir, args: ['update-ref', ref, upstream, ''] });
    await runGit({ gitDir, args: ['symbolic-ref', 'HEAD', ref] });
    return { ...result, head: upstream, outcome: 'created' };
  }
  const head = found.stdout.trim();
  // New tasks start from the branch the upstream settings name (remoteBranch may have changed).
  await runGit({ gitDir, args: ['symbolic-ref', 'HEAD', ref] });
  if (await isAncestor(gitDir, upstream, head)) return { ...result, head, outcome: 'up-to-date' };
  if (await isAncestor(gitDir, head, upstream)) {
    await runGit({ gitDir, args: ['update-ref', ref, upstream, head] });
    return { ...result, head: upstream, outcome: 'fast-forward' };
  }
  const merged = await runGit({
    gitDir,
    args: ['merge-tree', '--write-tree', '--name-only', '--no-messages', head, upstream],
    okExitCodes: [1],
  });
  const [tree = '', ...rest] = merged.stdout.split('\n');
  if (merged.exitCode === 1) {
    const paths = [...new Set(rest.filter(Boolean))];
    throw new CadreError(
      'MERGE_CONFLICT',
      `The upstream's ${branch} conflicts with Cadre's ${branch} in ${paths.join(', ')}; ${branch} is unchanged. Resolve it upstream (merge Cadre's ${branch} there), then retry.`,
      { details: { baseBranch: branch, paths, upstream } },
    );
  }
  const commit = await runGit({
    gitDir,
    args: [
      'commit-tree',
      tree.trim(),
      '-p',
      head,
      '-p',
      upstream,
      '-m',
      `Merge upstream ${branch}`,
    ],
  });
  const merge = commit.stdout.trim();
  await runGit({ gitDir, args: ['update-ref', ref, merge, head] });
  return { ...result, head: merge, outcome: 'merged' };
}

async function isAncestor(gitDir: string, ancestor: string, of: string) {
  const run = await runGit({
    gitDir,
    args: ['merge-base', '--is-ancestor', ancestor, of],
    okExitCodes: [1],
  });
  return run.exitCode === 0;
}

/** At creation, an upstream that cannot be read is answered as any failed import is. */
function asImportError(error: unknown): unknown {
  if (!(error instanceof CadreError)) return error;
  if (error.code === 'REMOTE_UNREACHABLE') {
    return new CadreError(
      'WORKSPACE_IMPORT_FAILED',
      'repository.url: could not read a git repository there. Check the address, that a repository is there, and that the credential may read it.',
      { details: { field: 'repository.url' } },
    );
  }
  if (error.code === 'REMOTE_ADDRESS_REFUSED') {
    return new CadreError(
      'WORKSPACE_IMPORT_ADDRESS_REFUSED',
      error.message.replace(/^remoteUrl: (\S+) now leads/, 'repository.url: $1 leads'),
      { details: { ...(error.details as object), field: 'repository.url' } },
    );
  }
  if (error.code === 'VALIDATION_FAILED' && error.message.startsWith('remoteUrl')) {
    const message = error.message.replace(/^remoteUrl/, 'repository.url');
    return new CadreError('VALIDATION_FAILED', message, {
      details: [{ field: 'repository.url', message: 'the URL is not accepted' }],
    });
  }
  if (error.code === 'REMOTE_BRANCH_NOT_FOUND') {
    return new CadreError(
      'REMOTE_BRANCH_NOT_FOUND',
      error.message.replace(/^remoteBranch/, 'branch'),
      {
        details: { field: 'branch' },
      },
    );
  }
  return error;
}
