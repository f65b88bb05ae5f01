// The worktrees the conductor prepares: the project's repository and the task's branch on
// first use, one worktree per step branched from the task's, and the merge back into it.
import { CadreError } from '../errors/index.js';
import type { TaskRef, Workspaces } from '../workspace/index.js';

/** The worktree of `ref`, made (with the repository, for a task) when it does not exist. */
export async function ensureWorktree(workspaces: Workspaces, ref: TaskRef, baseBranch?: string) {
  try {
    return await workspaces.getTaskWorktree(ref);
  } catch (error) {
    if (!(error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND')) throw error;
    if (!baseBranch) await ensureRepository(workspaces, ref.projectId);
    return workspaces.createTaskWorktree(ref, baseBranch);
  }
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
