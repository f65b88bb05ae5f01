// Turns a bearer token into a Principal. Unknown, revoked and expired tokens all answer null:
// the caller learns nothing about which.
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { Role, type Principal } from './roles.js';
import { hashToken, sessionPrefix } from './tokens.js';

const { apiKeys, memberships, sessions } = tables;

/** The principal behind `token`, or null when it does not authenticate. */
export async function authenticate(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Principal | null> {
  const hash = hashToken(token);
  return token.startsWith(sessionPrefix)
    ? authenticateSession(db, hash, now)
    : authenticateApiKey(db, hash, now);
}

async function authenticateApiKey(db: Db, hash: string, now: Date): Promise<Principal | null> {
  const [key] = await db
    .select({ id: apiKeys.id, orgId: apiKeys.orgId, userId: apiKeys.userId, role: apiKeys.role })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.keyHash, hash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
  if (!key) return null;
  // Last use is kept to the minute, so that a busy key does not write on every request.
  const minuteAgo = new Date(now.getTime() - 60_000);
  void db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.id, key.id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, minuteAgo)),
      ),
    )
    .catch(() => undefined);
  return {
    orgId: key.orgId,
    userId: key.userId,
    role: Role.parse(key.role),
    credentialId: key.id,
    kind: 'api-key',
  };
}

async function authenticateSession(db: Db, hash: string, now: Date): Promise<Principal | null> {
  const [session] = await db
    .select({
      id: sessions.id,
      orgId: sessions.orgId,
      userId: sessions.userId,
      role: memberships.role,
    })
    .from(sessions)
    .innerJoin(
      memberships,
      and(eq(memberships.orgId, sessions.orgId), eq(memberships.userId, sessions.userId)),
    )
    .where(and(eq(sessions.tokenHash, hash), gt(sessions.expiresAt, now)));
  if (!session) return null;
  return {
    orgId: session.orgId,
    userId: session.userId,
    role: Role.parse(session.role),
    credentialId: session.id,
    kind: 'session',
  };
}
