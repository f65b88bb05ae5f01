// The audit log: who did what to which object, and through which request.
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { Principal } from './roles.js';

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
  requestId?: string;
}

/** Who acted: a principal, or an anonymous client named by its address (credentialId). */
export type AuditActor =
  | Pick<Principal, 'orgId' | 'kind' | 'userId' | 'credentialId'>
  | { orgId: string; kind: 'anonymous'; userId: null; credentialId: string | null };

/** Appends one audit row for `actor`'s action. */
export async function recordAudit(db: Db, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await db.insert(tables.auditLog).values({
    orgId: actor.orgId,
    actorType: actor.kind,
    actorId: actor.userId ?? actor.credentialId,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    data: entry.data ?? {},
    requestId: entry.requestId ?? null,
  });
}
