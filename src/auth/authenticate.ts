// Turns a bearer token into a Principal. Unknown, revoked and expired tokens all answer null:
// the caller learns nothing about which.
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
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
  return (
    (await lookupCredential(db, hashToken(token), token.startsWith(sessionPrefix), now))
      ?.principal ?? null
  );
}

/** A valid credential: who it acts as, and until when it is valid (null: no end). */
export interface Credential {
  principal: Principal;
  expiresAt: Date | null;
}

/** Looks up a key or session by its hash; null when unknown, revoked or expired. */
export function lookupCredential(
  db: Db,
  hash: string,
  isSession: boolean,
  now: Date,
): Promise<Credential | null> {
  return isSession ? authenticateSession(db, hash, now) : authenticateApiKey(db, hash, now);
}

// The lookup runs on every API request: prepared once per database, it is planned once per
// connection and skips building the query each time.
const apiKeyLookups = new WeakMap<Db, ReturnType<typeof prepareApiKeyLookup>>();

function prepareApiKeyLookup(db: Db) {
  return db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      userId: apiKeys.userId,
      role: apiKeys.role,
      expiresAt: apiKeys.expiresAt,
    })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.keyHash, sql.placeholder('hash')),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql.placeholder('now'))),
      ),
    )
    .prepare('cadre_authenticate_api_key');
}

// Last use is kept to the minute, so that a busy key does not cost a write on every request:
// the time of this process's last write for each key.
const lastUseWrites = new Map<string, number>();
const lastUseResolutionMs = 60_000;

async function authenticateApiKey(db: Db, hash: string, now: Date): Promise<Credential | null> {
  let lookup = apiKeyLookups.get(db);
  if (!lookup) {
    lookup = prepareApiKeyLookup(db);
    apiKeyLookups.set(db, lookup);
  }
  const [key] = await lookup.execute({ hash, now });
  if (!key) return null;
  const lastWrite = lastUseWrites.get(key.id);
  if (lastWrite === undefined || now.getTime() - lastWrite >= lastUseResolutionMs) {
    lastUseWrites.set(key.id, now.getTime());
    void db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(eq(apiKeys.id, key.id))
      .catch(() => undefined);
  }
  const principal: Principal = {
    orgId: key.orgId,
    userId: key.userId,
    role: Role.parse(key.role),
    credentialId: key.id,
    kind: 'api-key',
  };
  return { principal, expiresAt: key.expiresAt };
}

async function authenticateSession(db: Db, hash: string, now: Date): Promise<Credential | null> {
  const [session] = await db
    .select({
      id: sessions.id,
      orgId: sessions.orgId,
      userId: sessions.userId,
      role: memberships.role,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(
      memberships,
      and(eq(memberships.orgId, sessions.orgId), eq(memberships.userId, sessions.userId)),
    )
    .where(and(eq(sessions.tokenHash, hash), gt(sessions.expiresAt, now)));
  if (!session) return null;
  const principal: Principal = {
    orgId: session.orgId,
    userId: session.userId,
    role: Role.parse(session.role),
    credentialId: session.id,
    kind: 'session',
  };
  return { principal, expiresAt: session.expiresAt };
}
