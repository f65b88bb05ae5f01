// Turns a bearer token into a Principal. Unknown, revoked and expired tokens all answer null:
// the caller learns nothing about which. A key acts at most with its creator's current role.
import { and, eq, gt, isNull, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { lesserRole, Role, type Principal } from './roles.js';
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

/**
 * The credential behind an earlier principal as it stands now (its current role), or null when
 * it no longer authenticates: revoked, expired, or its person left the organization.
 */
export async function refreshPrincipal(
  db: Db,
  principal: Pick<Principal, 'kind' | 'credentialId'>,
  now = new Date(),
): Promise<Principal | null> {
  if (principal.kind === 'session') {
    const [row] = await sessionQuery(db).where(
      and(eq(sessions.id, principal.credentialId), gt(sessions.expiresAt, now)),
    );
    return row ? toSessionCredential(row).principal : null;
  }
  const [row] = await apiKeyQuery(db).where(
    and(eq(apiKeys.id, principal.credentialId), isValidKey(now)),
  );
  return row ? (toApiKeyCredential(row)?.principal ?? null) : null;
}

// A key joins its creator's membership in the key's organization: the creator's current role
// bounds the key's, and a creator who left the organization takes the key's rights along. A
// key that belongs to no user (made by an operator in the database) keeps its own role.
function apiKeyQuery(db: Db) {
  return db
    .select({
      id: apiKeys.id,
      orgId: apiKeys.orgId,
      userId: apiKeys.userId,
      role: apiKeys.role,
      memberRole: memberships.role,
      expiresAt: apiKeys.expiresAt,
    })
    .from(apiKeys)
    .leftJoin(
      memberships,
      and(eq(memberships.orgId, apiKeys.orgId), eq(memberships.userId, apiKeys.userId)),
    );
}
type ApiKeyRow = Awaited<ReturnType<ReturnType<typeof apiKeyQuery>['execute']>>[number];

function isValidKey(now: Date | Placeholder): SQL {
  return and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)))!;
}

function toApiKeyCredential(key: ApiKeyRow): Credential | null {
  if (key.userId !== null && key.memberRole === null) return null;
  const role = Role.parse(key.role);
  const principal: Principal = {
    orgId: key.orgId,
    userId: key.userId,
    role: key.memberRole === null ? role : lesserRole(role, Role.parse(key.memberRole)),
    credentialId: key.id,
    kind: 'api-key',
  };
  return { principal, expiresAt: key.expiresAt };
}

// The lookup runs on every API request: prepared once per database, it is planned once per
// connection and skips building the query each time.
const apiKeyLookups = new WeakMap<Db, ReturnType<typeof prepareApiKeyLookup>>();

function prepareApiKeyLookup(db: Db) {
  return apiKeyQuery(db)
    .where(and(eq(apiKeys.keyHash, sql.placeholder('hash')), isValidKey(sql.placeholder('now'))))
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
  const credential = key ? toApiKeyCredential(key) : null;
  if (!credential) return null;
  const lastWrite = lastUseWrites.get(credential.principal.credentialId);
  if (lastWrite === undefined || now.getTime() - lastWrite >= lastUseResolutionMs) {
    lastUseWrites.set(credential.principal.credentialId, now.getTime());
    void db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(eq(apiKeys.id, credential.principal.credentialId))
      .catch(() => undefined);
  }
  return credential;
}

function sessionQuery(db: Db) {
  return db
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
    );
}
type SessionRow = Awaited<ReturnType<typeof sessionQuery>>[number];

function toSessionCredential(session: SessionRow): Credential {
  const principal: Principal = {
    orgId: session.orgId,
    userId: session.userId,
    role: Role.parse(session.role),
    credentialId: session.id,
    kind: 'session',
  };
  return { principal, expiresAt: session.expiresAt };
}

async function authenticateSession(db: Db, hash: string, now: Date): Promise<Credential | null> {
  const [session] = await sessionQuery(db).where(
    and(eq(sessions.tokenHash, hash), gt(sessions.expiresAt, now)),
  );
  return session ? toSessionCredential(session) : null;
}
