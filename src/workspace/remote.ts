// Fetches from and pushes to a project's upstream repository on a git host, each call through
// one connection (remote-connection.ts: the address pinned again, the credential kept out of
// sight). It must never write a ref other than the ones it names, nor let a credential or
// git's raw output reach an error.
import { CadreError } from '../errors/index.js';
import { runGit, runGitRaw, type GitResult } from './git.js';
import { checkBranchName, type ProjectLayout } from './layout.js';
import { withConnection, type RemoteAccess, type RemotePolicy } from './remote-connection.js';

export {
  defaultTokenUsername,
  type GitCredential,
  type RemoteAccess,
  type RemotePolicy,
} from './remote-connection.js';

/** What the upstream says about itself. */
export interface RemoteInfo {
  /** The branch the upstream's HEAD names; null when it names none. */
  defaultBranch: string | null;
  /** The head commit of the branch asked about; null when the upstream has no such branch. */
  branchHead: string | null;
}

export interface PushOptions {
  /** A ref or commit of the project's repository. */
  source: string;
  /** The upstream branch to write. */
  branch: string;
  /** Allow a push that is not a fast-forward. */
  force?: boolean;
  /**
   * The commit the upstream branch must still point at (null: the branch must not exist);
   * the push is refused otherwise, so that it never loses a change pushed meanwhile.
   */
  expectedHead?: string | null;
}

const networkTimeoutMs = 10 * 60_000;

/** The Cadre-owned ref that mirrors the upstream's `branch`. */
export function upstreamRef(branch: string): string {
  return `refs/cadre/upstream/${checkBranchName('branch', branch)}`;
}

/** Asks the upstream for its default branch and the head of `branch` (when given). */
export async function inspectRemote(
  layout: ProjectLayout,
  remote: RemoteAccess,
  branch?: string,
  policy: RemotePolicy = {},
): Promise<RemoteInfo> {
  const patterns = [
    'HEAD',
    ...(branch === undefined ? [] : [`refs/heads/${checkBranchName('branch', branch)}`]),
  ];
  const result = await withConnection(layout, remote, policy, (connection) =>
    runGitRaw(
      [...connection.settings, 'ls-remote', '--symref', '--', connection.url, ...patterns],
      {
        privateConfig: connection.privateConfig,
        timeoutMs: networkTimeoutMs,
      },
    ),
  );
  let defaultBranch: string | null = null;
  let branchHead: string | null = null;
  for (const line of result.stdout.split('\n')) {
    const [left, name] = line.split('\t');
    const symref = /^ref: refs\/heads\/(\S+)$/.exec(left ?? '');
    if (symref && name === 'HEAD') defaultBranch = symref[1]!;
    else if (
      branch !== undefined &&
      name === `refs/heads/${branch}` &&
      /^[0-9a-f]{40,64}$/.test(left ?? '')
    ) {
      branchHead = left!;
    }
  }
  return { defaultBranch, branchHead };
}

/**
 * Fetches the upstream's `branch` into `upstreamRef(branch)` (forced: the mirror follows the
 * upstream even when it was rewritten) and nothing else: no tags, no FETCH_HEAD, no other ref.
 */
export async function fetchBranch(
  layout: ProjectLayout,
  remote: RemoteAccess,
  branch: string,
  policy: RemotePolicy = {},
): Promise<{ commit: string }> {
  const ref = upstreamRef(branch);
  await withConnection(layout, remote, policy, (connection) =>
    runGit({
      gitDir: layout.gitDir,
      args: [
        ...connection.settings,
        'fetch',
        '--no-tags',
        '--no-write-fetch-head',
        '--no-recurse-submodules',
        '--no-auto-maintenance',
        '--quiet',
        '--',
        connection.url,
        `+refs/heads/${branch}:${ref}`,
      ],
      privateConfig: connection.privateConfig,
      timeoutMs: networkTimeoutMs,
    }),
  );
  return { commit: await resolveCommit(layout, ref) };
}

/**
 * Pushes `source` to the upstream's `branch`. With `expectedHead` the push holds only while
 * the upstream still points there (git's --force-with-lease); a refusal is REMOTE_PUSH_REJECTED.
 * On success the branch's upstream ref records the pushed commit.
 */
export async function pushBranch(
  layout: ProjectLayout,
  remote: RemoteAccess,
  { source, branch, force = false, expectedHead }: PushOptions,
  policy: RemotePolicy = {},
): Promise<{ commit: string }> {
  const ref = upstreamRef(branch);
  const commit = await resolveCommit(layout, source);
  if (
    expectedHead !== undefined &&
    expectedHead !== null &&
    !/^[0-9a-f]{40,64}$/.test(expectedHead)
  ) {
    throw new CadreError('VALIDATION_FAILED', 'expectedHead: expected a full commit id.', {
      details: [{ field: 'expectedHead', message: 'expected a full commit id' }],
    });
  }
  // A lease that holds lets git replace the branch; without `force` that is only a fast-forward.
  if (!force && expectedHead && !(await isAncestor(layout, expectedHead, commit))) {
    throw pushRejected({ stdout: '[rejected] (non-fast-forward)' }, branch);
  }
  const lease =
    expectedHead === undefined
      ? []
      : [`--force-with-lease=refs/heads/${branch}:${expectedHead ?? ''}`];
  const result = await withConnection(layout, remote, policy, (connection) =>
    runGit({
      gitDir: layout.gitDir,
      args: [
        ...connection.settings,
        'push',
        '--porcelain',
        '--no-recurse-submodules',
        '--no-follow-tags',
        ...lease,
        '--',
        connection.url,
        // A "+" would override the lease: with one, the lease alone decides.
        `${force && expectedHead === undefined ? '+' : ''}${commit}:refs/heads/${branch}`,
      ],
      privateConfig: connection.privateConfig,
      timeoutMs: networkTimeoutMs,
      // 1: git reached the upstream and it refused the update (listed on stdout).
      okExitCodes: [1],
    }),
  );
  if (result.exitCode !== 0 || /^!/m.test(result.stdout)) throw pushRejected(result, branch);
  await runGit({ gitDir: layout.gitDir, args: ['update-ref', ref, commit] });
  return { commit };
}

async function resolveCommit(layout: ProjectLayout, revision: string): Promise<string> {
  if (revision.startsWith('-')) {
    throw new CadreError('VALIDATION_FAILED', `source: "${revision}" is not a ref or commit.`, {
      details: [{ field: 'source', message: 'not a ref or commit' }],
    });
  }
  const result = await runGit({
    gitDir: layout.gitDir,
    args: ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`],
    okExitCodes: [1],
  });
  if (result.exitCode !== 0) {
    throw new CadreError(
      'VALIDATION_FAILED',
      `source: the repository has no commit "${revision}".`,
      {
        details: [{ field: 'source', message: 'no such commit' }],
      },
    );
  }
  return result.stdout.trim();
}

/** Whether `ancestor` (which this repository may lack) is `commit` or one of its ancestors. */
async function isAncestor(layout: ProjectLayout, ancestor: string, commit: string) {
  const known = await runGit({
    gitDir: layout.gitDir,
    args: ['cat-file', '-e', `${ancestor}^{commit}`],
    okExitCodes: [1, 128],
  });
  if (known.exitCode !== 0) return false;
  const result = await runGit({
    gitDir: layout.gitDir,
    args: ['merge-base', '--is-ancestor', ancestor, commit],
    okExitCodes: [1],
  });
  return result.exitCode === 0;
}

const knownRejections = new Set([
  'stale info',
  'fetch first',
  'non-fast-forward',
  'already exists',
]);

function pushRejected(result: Pick<GitResult, 'stdout'>, branch: string): CadreError {
  // Only git's own reasons are repeated; a server's free text (a hook's message) is not.
  const said = /\[(?:remote )?rejected\]\s*\(([^)]*)\)/.exec(result.stdout)?.[1] ?? '';
  const reason = knownRejections.has(said) ? said : 'refused by the upstream';
  return new CadreError(
    'REMOTE_PUSH_REJECTED',
    `The upstream refused the push to branch "${branch}" (${reason}): it changed since Cadre last fetched it, or it does not accept this update. Fetch again and retry.`,
    { details: { branch, reason } },
  );
}
