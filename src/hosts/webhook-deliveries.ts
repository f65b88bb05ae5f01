// The webhook deliveries a project received, by the host's delivery id: a delivery seen
// before (a replay, or the host retrying one Cadre already acted on) does nothing. Ids are
// kept a week; older deliveries that carry their event's time are refused by its age.
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { GitHostKind } from './types.js';

/** How long delivery ids are kept. */
export const deliveryRetentionMs = 7 * 24 * 60 * 60 * 1000;

/** Records a delivery (forgetting the project's expired ones); false when its id was seen. */
export async function recordWebhookDelivery(
  tx: Db,
  delivery: { projectId: string; deliveryId: string; hostKind: GitHostKind; event: string },
  now: Date,
): Promise<boolean> {
  const { webhookDeliveries } = tables;
  await tx
    .delete(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.projectId, delivery.projectId),
        lt(webhookDeliveries.receivedAt, new Date(now.getTime() - deliveryRetentionMs)),
      ),
    );
  const inserted = await tx
    .insert(webhookDeliveries)
    .values({ ...delivery, receivedAt: now })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.deliveryId });
  return inserted.length === 1;
}
