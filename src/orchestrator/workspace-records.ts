// The workspaces' shared records on Postgres: each task branch's base (task_branches) and the
// per-project lock that holds git work on a project across processes and machines.
import { and, eq } from 'drizzle-orm';
import type { Pool } from 'pg';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { ProjectLock, TaskBranchStore } from '../workspace/index.js';

/** The task branch store on the task_branches table. */
export function createTaskBranchStore(db: Db): TaskBranchStore {
  const { taskBranches } = tables;
  const getBase = async (projectId: string, taskId: string) => {
    const [row] = await db
      .select({ baseBranch: taskBranches.baseBranch })
      .from(taskBranches)
      .where(and(eq(taskBranches.projectId, projectId), eq(taskBranches.taskId, taskId)));
    return row?.baseBranch ?? null;
  };
  return {
    getBase,
    async claimBase(projectId, taskId, baseBranch) {
      await db
        .insert(taskBranches)
        .values({ projectId, taskId, baseBranch })
        .onConflictDoNothing({ target: [taskBranches.projectId, taskBranches.taskId] });
      const recorded = await getBase(projectId, taskId);
      if (recorded === null) throw new Error(`task_branches lost the row of task ${taskId}`);
      return recorded;
    },
  };
}

/**
 * The project lock as a transaction-scoped advisory lock: `work` runs while a transaction on
 * one pooled connection holds `pg_advisory_xact_lock` on the project's key, and the lock goes
 * with the transaction, also when the process dies.
 */
export function createProjectLock(pool: Pool): ProjectLock {
  return async (projectId, work) => {
    const client = await pool.connect();
    let isBroken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `cadre.workspace:${projectId}`,
      ]);
      return await work();
    } finally {
      // Nothing was written: ending the transaction only lets the lock go.
      await client.query('ROLLBACK').catch(() => {
        isBroken = true;
      });
      client.release(isBroken);
    }
  };
}
