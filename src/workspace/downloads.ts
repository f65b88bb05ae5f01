// A project's repository handed out: served to git clients over smart HTTP (read-only), a
// task's committed work as a patch series, the base branch as a bundle. Each streams from a
// git process with the closed configuration; none writes to the repository.
import { existsSync } from 'node:fs';
import { CadreError } from '../errors/index.js';
import { runGit, spawnGit, type GitCgiEnv, type GitProcess } from './git.js';
import { preMergeRef, type ProjectLayout } from './layout.js';
import type { TaskBranch } from './worktrees.js';

/** How long one download or git HTTP request may run, unless told, before git is killed. */
export const downloadTimeoutMs = 10 * 60_000;

/** One request of git's smart HTTP protocol for upload-pack (clone and fetch). */
export interface UploadPackRequest {
  method: 'GET' | 'POST';
  /** The advertisement (GET /info/refs?service=git-upload-pack) or the negotiation (POST). */
  service: 'advertisement' | 'upload-pack';
  contentType?: string;
  isGzip?: boolean;
  /** The client's Git-Protocol header, already checked to be "version=<n>". */
  gitProtocol?: string;
  remoteAddress?: string;
  /** The longest git may run (default downloadTimeoutMs). */
  timeoutMs?: number;
}

/** Starts `git http-backend` on the project's repository, and nothing but it, for one request. */
export async function serveUploadPack(
  project: ProjectLayout,
  request: UploadPackRequest,
): Promise<GitProcess> {
  assertRepository(project);
  const isAdvertisement = request.service === 'advertisement';
  const cgi: GitCgiEnv = {
    GIT_PROJECT_ROOT: project.gitDir,
    REQUEST_METHOD: request.method,
    PATH_INFO: isAdvertisement ? '/info/refs' : '/git-upload-pack',
    QUERY_STRING: isAdvertisement ? 'service=git-upload-pack' : '',
    CONTENT_TYPE: request.contentType,
    HTTP_CONTENT_ENCODING: request.isGzip ? 'gzip' : undefined,
    HTTP_GIT_PROTOCOL: request.gitProtocol,
    REMOTE_ADDR: request.remoteAddress,
  };
  return spawnGit({
    args: ['http-backend'],
    gitDir: project.gitDir,
    cgi,
    timeoutMs: request.timeoutMs ?? downloadTimeoutMs,
  });
}

/** The base branch as a git bundle, streamed; `git clone <file>` makes a repository of it. */
export async function bundleBase(
  project: ProjectLayout,
  timeoutMs = downloadTimeoutMs,
): Promise<{ baseBranch: string; process: GitProcess }> {
  assertRepository(project);
  const { gitDir } = project;
  const baseBranch = (
    await runGit({ gitDir, args: ['symbolic-ref', '--short', 'HEAD'] })
  ).stdout.trim();
  const process = await spawnGit({
    gitDir,
    // HEAD too, so that a clone of the bundle checks the base branch out.
    args: ['bundle', 'create', '--quiet', '-', `refs/heads/${baseBranch}`, 'HEAD'],
    timeoutMs,
  });
  return { baseBranch, process };
}

/**
 * The task's committed work as `git format-patch` output, for `git am`: the commits of its
 * branch that its base does not have, or once merged, that the base did not have just before.
 */
export async function formatTaskPatch(
  branch: TaskBranch,
  timeoutMs = downloadTimeoutMs,
): Promise<GitProcess> {
  const { gitDir } = branch;
  const head = `refs/heads/${branch.branch}`;
  const exclude = await patchBase(branch, head);
  const counted = await runGit({
    gitDir,
    args: ['rev-list', '--count', '--no-merges', head, '--not', exclude],
  });
  if (Number(counted.stdout.trim()) === 0) {
    throw new CadreError(
      'INVALID_STATE',
      `Task ${branch.taskId} has no committed work on its branch yet, so there is no patch; wait until one of its steps has committed.`,
      { details: { branch: branch.branch, baseBranch: branch.baseBranch } },
    );
  }
  return spawnGit({
    gitDir,
    args: [
      'format-patch',
      '--stdout',
      '--binary',
      '--no-ext-diff',
      '--no-textconv',
      '--no-signature',
      `${exclude}..${head}`,
    ],
    timeoutMs,
  });
}

/** The commit whose history the patch leaves out: the base, or the base before the merge. */
async function patchBase(branch: TaskBranch, head: string): Promise<string> {
  const { gitDir, baseBranch, taskId } = branch;
  const commitOf = async (revision: string) => {
    const found = await runGit({
      gitDir,
      args: ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`],
      okExitCodes: [1],
    });
    return found.exitCode === 0 ? found.stdout.trim() : null;
  };
  const [base, preMerge] = await Promise.all([
    commitOf(`refs/heads/${baseBranch}`),
    commitOf(preMergeRef(taskId)),
  ]);
  if (base) {
    const isMerged =
      (
        await runGit({
          gitDir,
          args: ['merge-base', '--is-ancestor', head, base],
          okExitCodes: [1],
        })
      ).exitCode === 0;
    if (!isMerged || !preMerge) return base;
  }
  if (preMerge) return preMerge;
  throw new CadreError(
    'INVALID_STATE',
    `The base branch "${baseBranch}" of task ${taskId} no longer exists, so its work has nothing to be compared with; recreate the branch to get the patch.`,
    { details: { baseBranch, branch: branch.branch } },
  );
}

function assertRepository(project: ProjectLayout) {
  if (!existsSync(project.gitDir)) {
    throw new CadreError(
      'WORKSPACE_NOT_FOUND',
      'This project has no repository yet; create one with POST /api/projects/:id/workspace.',
    );
  }
}
