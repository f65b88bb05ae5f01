// What the workspaces share with every other process on the same database: where each task
// branch's base is recorded, and the lock that lets one git operation at a time touch a project.
// The workspace module only names them; whoever builds the workspaces gives the real ones.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where each task branch's base branch is recorded. */
export interface TaskBranchStore {
  /** The base recorded for the task, or null when none is. */
  getBase(projectId: string, taskId: string): Promise<string | null>;
  /**
   * Records `baseBranch` for the task unless one is recorded already; returns the recorded one,
   * so that two callers (or a re-run) agree on the first.
   */
  claimBase(projectId: string, taskId: string, baseBranch: string): Promise<string>;
}

/** Runs `work` while no other holder of the same project's lock runs, in any process. */
export type ProjectLock = <T>(projectId: string, work: () => Promise<T>) => Promise<T>;

/**
 * A store in files under the data folder, for workspaces used without a database (the library
 * on its own, one process): one file per task, written by rename so it is whole or absent.
 */
export function createFileTaskBranchStore(dataDir: string): TaskBranchStore {
  const fileOf = (projectId: string, taskId: string) =>
    join(dataDir, 'workspaces', projectId, 'task-bases', taskId);
  const getBase = async (projectId: string, taskId: string) => {
    const text = await readFile(fileOf(projectId, taskId), 'utf8').catch(() => null);
    return text === null ? null : text.trim();
  };
  return {
    getBase,
    async claimBase(projectId, taskId, baseBranch) {
      const found = await getBase(projectId, taskId);
      if (found !== null) return found;
      const file = fileOf(projectId, taskId);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(`${file}.tmp`, baseBranch);
      await rename(`${file}.tmp`, file);
      return baseBranch;
    },
  };
}
