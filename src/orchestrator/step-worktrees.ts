// The worktrees the conductor prepares: the project's repository and the task's branch on
// first use (the base brought up to the upstream first), one worktree per step branched from
// the task's, and the merge back into it.
import type { SecretBox } from '../auth/index.js';
import type { Db } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { BaseSync, TaskRef, Workspaces } from '../workspace/index.js';
import { loadProjectRemote } from './project-remote.js';
import type { ProjectRow } from './projects.js';

/**
 * The worktree of `ref`, made (with the repository, for a task) when it does not exist;
 * `beforeCreate` runs first when it is made (the task's base is brought up to the upstream).
 */
export async function ensureWorktree(
  workspaces: Workspaces,
  ref: TaskRef,
  baseBranch?: string,
  beforeCreate?: () => Promise<unknown>,
) {
  try {
    return await workspaces.getTaskWorktree(ref);
  } catch (error) {
    if (!(error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND')) throw error;
    if (!baseBranch) await ensureRepository(workspaces, ref.projectId);
    await beforeCreate?.();
    return workspaces.createTaskWorktree(ref, baseBranch);
  }
}

/**
 * What brings the project's base branch up to its upstream (fetch, then fast-forward or
 * merge), or null for a project without one. The credential is read anew on every call.
 */
export function upstreamSync(
  db: Db,
  secrets: SecretBox | undefined,
  workspaces: Workspaces,
  project: ProjectRow,
): (() => Promise<BaseSync>) | null {
  if (project.remoteUrl === null) return null;
  return async () => {
    if (!secrets) {
      throw new CadreError(
        'CONFIG_INVALID',
        'The project has an upstream, but this worker was started without the secret box that opens its credential.',
      );
    }
    const remote = (await loadProjectRemote(db, secrets, project))!;
    const branch = project.remoteBranch ?? (await workspaces.getRepository(project.id)).baseBranch;
    return workspaces.syncBase(project.id, remote, branch);
  };
}

async function ensureRepository(workspaces: Workspaces, projectId: string) {
  try {
    await workspaces.getRepository(projectId);
  } catch (error) {
    if (!(error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND')) throw error;
    // Another process may have made it meanwhile: the repository exists either way.
    await workspaces.createRepository(projectId, { type: 'empty' }).catch((failure: unknown) => {
      if (!(failure instanceof CadreError && failure.code === 'WORKSPACE_EXISTS')) throw failure;
    });
  }
}

/** Merges a step's branch into its task's; a conflict is returned for a fix step, not thrown. */
export async function mergeStep(
  workspaces: Workspaces,
  stepRef: TaskRef,
  key: string,
  taskBranch: string,
) {
  try {
    await workspaces.merge(stepRef, `Merge step ${key}`);
    return null;
  } catch (error) {
    if (!(error instanceof CadreError && error.code === 'MERGE_CONFLICT')) throw error;
    const paths = (error.details as { paths?: string[] }).paths ?? [];
    return {
      stepKey: key,
      paths,
      diff: (await workspaces.diffSince(stepRef, taskBranch)).slice(0, 20_000),
    };
  }
}
