// The webhook deliveries a project received, by the host's delivery id: a delivery seen
// before (a replay, or the host retrying one Cadre already acted on) does nothing.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { GitHostKind } from './types.js';

/** How long delivery ids are kept; older deliveries are refused by their age instead. */
export const deliveryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/** Records a delivery; false when the project had one of the same id already. */
export async function recordWebhookDelivery(
  tx: Db,
  delivery: { projectId: string; deliveryId: string; hostKind: GitHostKind; event: string },
): Promise<boolean> {
  const inserted = await tx
    .insert(tables.webhookDeliveries)
    .values(delivery)
    .onConflictDoNothing()
    .returning({ id: tables.webhookDeliveries.deliveryId });
  return inserted.length === 1;
}

/** Forgets delivery ids older than the retention. */
export async function pruneWebhookDeliveries(db: Db, now: Date): Promise<void> {
  const before = new Date(now.getTime() - deliveryRetentionMs);
  await db.execute(sql`DELETE FROM webhook_deliveries WHERE received_at < ${before}`);
}
