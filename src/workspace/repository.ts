// A project's git repository: created empty, or imported from a local path or a git URL.
// It is a bare repository under the data folder; tasks check it out as worktrees. A failed
// import leaves nothing behind, and its error never names a server path or a credential.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { CadreError } from '../errors/index.js';
import { runGit, runGitRaw } from './git.js';
import { createImportAllowlist } from './import-address.js';
import { resolveImportPath, UnreadableRepository } from './import-path.js';
import { pinImportUrl, UnreachableSource, type ResolveHost } from './import-url.js';
import { checkBranchName, type ProjectLayout } from './layout.js';

/** Where a project's first commits come from. */
export type RepositorySource =
  { type: 'empty' } | { type: 'path'; path: string } | { type: 'url'; url: string };

/** A project's repository as the API shows it. */
export interface RepositoryInfo {
  baseBranch: string;
  head: string;
  branches: string[];
}

/** Where imports may come from, as the instance admin configured it. */
export interface ImportPolicy {
  /** Folders whose repositories may be imported; empty turns local import off. */
  roots?: readonly string[];
  /** Hosts, addresses and CIDR blocks a URL may reach although they are not public. */
  allowHosts?: readonly string[];
  /** Cadre's data folder, never imported from. */
  dataDir: string;
  resolveHost?: ResolveHost;
}

export interface CreateRepositoryOptions {
  layout: ProjectLayout;
  source: RepositorySource;
  baseBranch?: string;
  imports: ImportPolicy;
}

/** What git is told to clone, and the settings that hold for that clone only. */
interface Origin {
  location: string;
  isRemote: boolean;
  gitConfig: Array<[string, string]>;
}

/** Creates or imports the repository; WORKSPACE_EXISTS when the project has one. */
export async function createRepository({
  layout,
  source,
  baseBranch = 'main',
  imports,
}: CreateRepositoryOptions): Promise<RepositoryInfo> {
  checkBranchName('baseBranch', baseBranch);
  if (existsSync(layout.gitDir)) {
    throw new CadreError(
      'WORKSPACE_EXISTS',
      'This project already has a repository; delete the project to start over.',
    );
  }
  const origin = source.type === 'empty' ? null : await checkSource(source, imports);
  await mkdir(layout.tasksDir, { recursive: true });
  try {
    if (origin === null) await initEmpty(layout.gitDir, baseBranch);
    else await importFrom(layout.gitDir, origin, baseBranch);
  } catch (error) {
    await rm(layout.gitDir, { recursive: true, force: true });
    throw error;
  }
  return getRepositoryInfo(layout);
}

/** The base branch, its head commit and the branches; WORKSPACE_NOT_FOUND without a repository. */
export async function getRepositoryInfo(layout: ProjectLayout): Promise<RepositoryInfo> {
  if (!existsSync(layout.gitDir)) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      'This project has no repository yet; create one with POST /api/projects/:id/workspace.',
    );
  }
  const gitDir = layout.gitDir;
  const baseBranch = (
    await runGit({ gitDir, args: ['symbolic-ref', '--short', 'HEAD'] })
  ).stdout.trim();
  const head = (await runGit({ gitDir, args: ['rev-parse', 'HEAD'] })).stdout.trim();
  const refs = await runGit({
    gitDir,
    args: ['for-each-ref', '--format=%(refname:short)', 'refs/heads/'],
  });
  return { baseBranch, head, branches: refs.stdout.split('\n').filter(Boolean) };
}

async function initEmpty(gitDir: string, baseBranch: string) {
  await runGitRaw(['init', '--bare', `--initial-branch=${baseBranch}`, gitDir], {});
  // An empty first commit, so that task branches always have a base to start from.
  const tree = await runGit({ gitDir, args: ['mktree'] });
  const commit = await runGit({
    gitDir,
    args: ['commit-tree', tree.stdout.trim(), '-m', 'Start the project repository'],
  });
  await runGit({ gitDir, args: ['update-ref', `refs/heads/${baseBranch}`, commit.stdout.trim()] });
}

async function importFrom(gitDir: string, origin: Origin, baseBranch: string) {
  try {
    // Command-line settings outrank every config file and reach the helpers git starts
    // (remote-https, upload-pack, ssh).
    const settings = origin.gitConfig.flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    await runGitRaw(
      [...settings, 'clone', '--bare', '--no-hardlinks', '--', origin.location, gitDir],
      {
        timeoutMs: 10 * 60_000,
      },
    );
  } catch {
    // git's message would tell a closed port from an open one and echo the URL: say neither.
    throw unreadable();
  }
  const head = await runGit({
    gitDir,
    args: ['symbolic-ref', '--short', 'HEAD'],
    okExitCodes: [1, 128],
  });
  const hasCommits =
    (await runGit({ gitDir, args: ['rev-parse', '--verify', '-q', 'HEAD'], okExitCodes: [1] }))
      .exitCode === 0;
  // Any web server "serves" an empty repository over git's dumb HTTP protocol: an import from
  // a URL that brought nothing is answered like one that failed, so that neither tells the
  // caller what listens there. An empty repository is what the "empty" source is for.
  if (!hasCommits && origin.isRemote) throw unreadable();
  if (!hasCommits) {
    await runGit({ gitDir, args: ['symbolic-ref', 'HEAD', `refs/heads/${baseBranch}`] });
    const tree = await runGit({ gitDir, args: ['mktree'] });
    const commit = await runGit({
      gitDir,
      args: ['commit-tree', tree.stdout.trim(), '-m', 'Start the project repository'],
    });
    await runGit({
      gitDir,
      args: ['update-ref', `refs/heads/${baseBranch}`, commit.stdout.trim()],
    });
  } else if (head.exitCode !== 0) {
    throw new CadreError(
      'WORKSPACE_IMPORT_FAILED',
      'source: the repository has no default branch (its HEAD names no branch); set one and import again.',
    );
  }
  // Imported remotes are not needed afterwards; keeping none means nothing is fetched later.
  await runGit({ gitDir, args: ['remote', 'remove', 'origin'], okExitCodes: [2] });
}

async function checkSource(
  source: Exclude<RepositorySource, { type: 'empty' }>,
  imports: ImportPolicy,
): Promise<Origin> {
  try {
    if (source.type === 'url') {
      const allowlist = createImportAllowlist(imports.allowHosts ?? []);
      const pinned = await pinImportUrl(source.url, allowlist, imports.resolveHost);
      return { location: pinned.url, isRemote: true, gitConfig: pinned.gitConfig };
    }
    const gitDir = await resolveImportPath({
      path: source.path,
      roots: imports.roots ?? [],
      dataDir: imports.dataDir,
    });
    const gitConfig: Array<[string, string]> = [
      ['protocol.allow', 'never'],
      ['protocol.file.allow', 'always'],
    ];
    return { location: gitDir, isRemote: false, gitConfig };
  } catch (error) {
    if (error instanceof UnreadableRepository || error instanceof UnreachableSource) {
      throw unreadable();
    }
    throw error;
  }
}

/** The one answer for every source that cannot be read, however it failed. */
function unreadable(): CadreError {
  return new CadreError(
    'WORKSPACE_IMPORT_FAILED',
    'source: could not read a git repository there. Check the address or path, that a repository is there, and that Cadre may read it (a private repository needs credentials in the URL or an ssh key of the server).',
  );
}
