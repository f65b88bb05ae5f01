// Delivery to a project's git host, after Cadre's own test run passed: the tested merge is
// pushed to the task's branch on the remote (under a lease, fast-forward only) and its pull
// request opened or updated; or, in push mode, the new base is pushed to the remote branch.
// Every part converges when run again after a crash: the push is skipped when the remote
// already has the commit, and the host finds the open pull request of the branch.
import type { SecretBox } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import {
  inspectRemote,
  projectLayout,
  pushBranch,
  type RemoteAccess,
  type RemotePolicy,
} from '../workspace/index.js';
import { requireProjectHost } from './project-host.js';
import { loadProjectRemote } from './project-remote.js';
import type { ProjectRow } from './projects.js';
import { pullRequestText } from './pull-request-body.js';
import type { TaskRow } from './tasks.js';
import type { Verification } from './verify-merge.js';

/** What delivering to a remote needs besides the workspace. */
export interface DeliveryServices {
  secrets: SecretBox;
  dataDir: string;
  /** Where people reach Cadre, for the task link in the pull request. */
  publicUrl: string;
  remotePolicy?: RemotePolicy;
}

/** The branch a task's pull request comes from: cadre/<short id>-<slug of its title>. */
export function pullRequestBranch(task: { id: string; title: string }): string {
  const slug = task.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `cadre/${task.id.slice(0, 8)}${slug ? `-${slug}` : ''}`;
}

/** A pull request delivered: what recordDelivery and the task's host link keep. */
export interface PullRequestDelivery {
  url: string;
  number: number;
  branch: string;
  commit: string;
  isCreated: boolean;
}

async function requireRemote(db: Db, services: DeliveryServices, project: ProjectRow) {
  const remote = await loadProjectRemote(db, services.secrets, project);
  if (remote) return remote;
  throw new CadreError(
    'HOST_NOT_CONFIGURED',
    `Project ${project.id} delivers by ${project.deliveryMode} but has no remote URL: set remoteUrl (and its credential) on the project, or set deliveryMode to local.`,
  );
}

/**
 * Pushes `commit` to the remote's `branch`: skipped when the branch is there already, else
 * leased on the head the remote has now, and only as a fast-forward from it, so a change
 * someone else pushed to the branch is never overwritten (REMOTE_PUSH_REJECTED instead).
 */
export async function pushLeased(
  services: DeliveryServices,
  project: ProjectRow,
  remote: RemoteAccess,
  commit: string,
  branch: string,
) {
  const layout = projectLayout(services.dataDir, project.id);
  const { branchHead } = await inspectRemote(layout, remote, branch, services.remotePolicy);
  if (branchHead === commit) return;
  await pushBranch(
    layout,
    remote,
    { source: commit, branch, expectedHead: branchHead },
    services.remotePolicy,
  );
}

/** Pushes the tested merge to the task's branch and opens (or updates) its pull request. */
export async function deliverPullRequest(
  db: Db,
  services: DeliveryServices,
  options: {
    project: ProjectRow;
    task: TaskRow;
    commit: string;
    verification: Verification | null;
  },
): Promise<PullRequestDelivery> {
  const { project, task, commit } = options;
  const remote = await requireRemote(db, services, project);
  const host = await requireProjectHost(db, services.secrets, project);
  const branch = pullRequestBranch(task);
  await pushLeased(services, project, remote, commit, branch);
  const text = await pullRequestText(db, task, options.verification, services.publicUrl);
  const base = project.remoteBranch ?? (await defaultBranch(services, project, remote));
  const pull = await host.openPullRequest({ head: branch, base, ...text });
  return { url: pull.url, number: pull.number, branch, commit, isCreated: pull.created };
}

/** Pushes the new base to the push branch (or the remote branch) of a push-mode project. */
export async function deliverPush(
  db: Db,
  services: DeliveryServices,
  options: { project: ProjectRow; commit: string },
): Promise<{ remoteUrl: string; branch: string; commit: string }> {
  const { project, commit } = options;
  const remote = await requireRemote(db, services, project);
  const branch =
    project.pushBranch ?? project.remoteBranch ?? (await defaultBranch(services, project, remote));
  await pushLeased(services, project, remote, commit, branch);
  return { remoteUrl: remote.url, branch, commit };
}

async function defaultBranch(
  services: DeliveryServices,
  project: ProjectRow,
  remote: RemoteAccess,
) {
  const layout = projectLayout(services.dataDir, project.id);
  const { defaultBranch: found } = await inspectRemote(
    layout,
    remote,
    undefined,
    services.remotePolicy,
  );
  if (found) return found;
  throw new CadreError(
    'HOST_NOT_CONFIGURED',
    `Project ${project.id} has no remote branch set and the remote names no default branch: set remoteBranch on the project.`,
  );
}
