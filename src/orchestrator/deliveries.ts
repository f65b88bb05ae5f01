// The record of where each task's result went: Cadre's own repository (local), a pushed branch
// of the project's remote, or a pull request on its git host. One row per task, replaced as
// the delivery moves on; written in the transaction that delivered, so it never claims more.
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

/** Where one task's result went. */
export type Delivery =
  | { mode: 'local'; branch: string; commit: string }
  | { mode: 'push'; remoteUrl: string; branch: string; commit: string }
  | {
      mode: 'pull-request';
      url: string;
      number: number;
      branch: string;
      commit: string;
      state: 'open' | 'closed' | 'merged';
    };

type DeliveryRow = typeof tables.taskDeliveries.$inferSelect;

/** Records (or replaces) where the task's result went; run it in the delivering transaction. */
export async function recordDelivery(
  tx: Db,
  task: { id: string; orgId: string },
  delivery: Delivery,
): Promise<void> {
  const values = {
    mode: delivery.mode,
    branch: delivery.branch,
    commit: delivery.commit,
    url: delivery.mode === 'pull-request' ? delivery.url : null,
    number: delivery.mode === 'pull-request' ? delivery.number : null,
    remoteUrl: delivery.mode === 'push' ? delivery.remoteUrl : null,
    state: delivery.mode === 'pull-request' ? delivery.state : null,
    updatedAt: new Date(),
  };
  await tx
    .insert(tables.taskDeliveries)
    .values({ taskId: task.id, orgId: task.orgId, ...values })
    .onConflictDoUpdate({ target: tables.taskDeliveries.taskId, set: values });
}

/** Where the task's result went, or null while it was not delivered. */
export async function getDelivery(db: Db, orgId: string, taskId: string): Promise<Delivery | null> {
  return (await listDeliveries(db, orgId, [taskId])).get(taskId) ?? null;
}

/** The deliveries of several tasks of one organization, by task id (undelivered ones absent). */
export async function listDeliveries(
  db: Db,
  orgId: string,
  taskIds: readonly string[],
): Promise<Map<string, Delivery>> {
  if (taskIds.length === 0) return new Map();
  const { taskDeliveries } = tables;
  const rows = await db
    .select()
    .from(taskDeliveries)
    .where(and(eq(taskDeliveries.orgId, orgId), inArray(taskDeliveries.taskId, [...taskIds])));
  return new Map(rows.map((row) => [row.taskId, toDelivery(row)]));
}

function toDelivery(row: DeliveryRow): Delivery {
  const { branch, commit } = row;
  if (row.mode === 'local') return { mode: 'local', branch, commit };
  if (row.mode === 'push') {
    if (row.remoteUrl === null) throw brokenRow(row, 'remote_url');
    return { mode: 'push', remoteUrl: row.remoteUrl, branch, commit };
  }
  if (row.url === null) throw brokenRow(row, 'url');
  if (row.number === null) throw brokenRow(row, 'number');
  if (row.state === null) throw brokenRow(row, 'state');
  return {
    mode: 'pull-request',
    url: row.url,
    number: row.number,
    branch,
    commit,
    state: row.state,
  };
}

function brokenRow(row: DeliveryRow, column: string) {
  return new Error(`task_deliveries row of task ${row.taskId} (${row.mode}) has no ${column}`);
}
