// A project's git repository: created empty, or imported from a local path or a git URL.
// It is a bare repository under the data folder; tasks check it out as worktrees. A failed
// import leaves nothing behind.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { CadreError } from '../errors/index.js';
import { runGit, runGitRaw } from './git.js';
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

const urlPattern = /^(https?|ssh|git):\/\/[^\s]+$/;
const scpPattern = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;

/** Creates or imports the repository; WORKSPACE_EXISTS when the project has one. */
export async function createRepository(
  layout: ProjectLayout,
  source: RepositorySource,
  baseBranch = 'main',
): Promise<RepositoryInfo> {
  checkBranchName('baseBranch', baseBranch);
  if (existsSync(layout.gitDir)) {
    throw new CadreError(
      'WORKSPACE_EXISTS',
      'This project already has a repository; delete the project to start over.',
    );
  }
  const origin = source.type === 'empty' ? null : await checkSource(source);
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

async function importFrom(gitDir: string, origin: string, baseBranch: string) {
  try {
    await runGitRaw(['clone', '--bare', '--no-hardlinks', '--', origin, gitDir], {
      timeoutMs: 10 * 60_000,
    });
  } catch (error) {
    const reason = error instanceof CadreError ? error.message : String(error);
    throw new CadreError('WORKSPACE_IMPORT_FAILED', `source: cannot clone ${origin}: ${reason}`, {
      cause: error,
    });
  }
  const head = await runGit({
    gitDir,
    args: ['symbolic-ref', '--short', 'HEAD'],
    okExitCodes: [1, 128],
  });
  const hasCommits =
    (await runGit({ gitDir, args: ['rev-parse', '--verify', '-q', 'HEAD'], okExitCodes: [1] }))
      .exitCode === 0;
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
      `source: the repository at ${origin} has no default branch.`,
    );
  }
  // Imported remotes are not needed afterwards; keeping none means nothing is fetched later.
  await runGit({ gitDir, args: ['remote', 'remove', 'origin'], okExitCodes: [2] });
}

async function checkSource(source: Exclude<RepositorySource, { type: 'empty' }>): Promise<string> {
  if (source.type === 'url') {
    if (!urlPattern.test(source.url) && !scpPattern.test(source.url)) {
      throw new CadreError(
        'VALIDATION_FAILED',
        `source.url: "${source.url}" is not an http(s), ssh or git URL.`,
        {
          details: [{ field: 'source.url', message: 'expected an http(s), ssh or git URL' }],
        },
      );
    }
    return source.url;
  }
  if (!isAbsolute(source.path)) {
    throw new CadreError(
      'VALIDATION_FAILED',
      `source.path: "${source.path}" must be an absolute path on the server.`,
      {
        details: [{ field: 'source.path', message: 'expected an absolute path' }],
      },
    );
  }
  const found = await stat(source.path).catch(() => null);
  if (!found?.isDirectory()) {
    throw new CadreError(
      'WORKSPACE_IMPORT_FAILED',
      `source.path: ${source.path} is not a folder on the server.`,
    );
  }
  return source.path;
}
