// The workspaces' shared records on Postgres: each task branch's base (task_branches) and the
// per-project locks that hold git work, and merges, on a project across processes and machines.
import { setTimeout as delay } from 'node:timers/promises';
import { and, eq } from 'drizzle-orm';
import type { Pool, PoolClient } from 'pg';
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

/** Runs `work` as the only merge of the project in flight, on every process. */
export type MergeLock = <T>(
  projectId: string,
  work: () => Promise<T>,
  signal?: AbortSignal,
) => Promise<T>;

/**
 * The merge lock as a session advisory lock, a merge queue of one: a merge step holds it from
 * planning its candidate through the test run to moving the base, so that no other merge moves
 * the base under a test run and turns it into a race (verify-merge.ts) that a busy project can
 * lose again and again. Waiters poll pg_try_advisory_lock and hold no connection meanwhile; the
 * holder's connection going away frees the lock, and the merge's compare-and-swap of the base
 * still refuses a candidate whose base moved, so the lock only saves test runs, it is not
 * what keeps the base correct.
 */
export function createMergeLock(pool: Pool, { pollMs = 200 } = {}): MergeLock {
  return async (projectId, work, signal) => {
    const key = `cadre.merge:${projectId}`;
    let holder: PoolClient | null = null;
    while (!holder) {
      signal?.throwIfAborted();
      const client = await pool.connect();
      try {
        const result = await client.query<{ isLocked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS "isLocked"',
          [key],
        );
        if (result.rows[0]?.isLocked) holder = client;
        else client.release();
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      if (!holder) await delay(pollMs, undefined, { signal });
    }
    const client = holder;
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).then(
        () => client.release(),
        // Unlocked by the server when the connection goes: drop it from the pool.
        (error: Error) => client.release(error),
      );
    }
  };
}
