// Password sign-in, sessions and API key management.
import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Principal, Role } from './roles.js';
import { generateApiKey, generateSessionToken, hashToken } from './tokens.js';

const { apiKeys, memberships, sessions, users } = tables;
const sessionLifetimeMs = 7 * 24 * 60 * 60 * 1000;

let decoy: Promise<string> | null = null;
/** A real hash of a random password, made once, to verify against when there is no user. */
const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString('hex')));

export interface SessionGrant {
  token: string;
  expiresAt: Date;
  orgId: string;
  userId: string;
}

/** Signs in with email and password; one message for every failure, so as to reveal nothing. */
export async function signIn(
  db: Db,
  email: string,
  password: string,
  now = new Date(),
): Promise<SessionGrant> {
  const [user] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, orgId: memberships.orgId })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(eq(users.email, email.trim().toLowerCase()))
    .orderBy(memberships.createdAt)
    .limit(1);
  // An unknown email costs the same hashing as a wrong password: timing tells nothing.
  const isValid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user?.passwordHash || !isValid) {
    throw new CadreError('UNAUTHENTICATED', 'Wrong email or password.');
  }
  const session = generateSessionToken();
  const expiresAt = new Date(now.getTime() + sessionLifetimeMs);
  await db
    .insert(sessions)
    .values({ orgId: user.orgId, userId: user.id, tokenHash: session.hash, expiresAt });
  return { token: session.token, expiresAt, orgId: user.orgId, userId: user.id };
}

/** Ends the session behind `token`. */
export async function signOut(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

/** Sets the signed-in user's password. */
export async function setPassword(db: Db, userId: string, password: string): Promise<void> {
  await db
    .update(users)
    .set({ passwordHash: await hashPassword(password) })
    .where(eq(users.id, userId));
}

/** The user behind a principal, with their role in its organization. */
export async function getUser(db: Db, principal: Principal) {
  if (!principal.userId) return null;
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name, hasPassword: users.passwordHash })
    .from(users)
    .where(eq(users.id, principal.userId));
  return user ? { ...user, hasPassword: user.hasPassword !== null } : null;
}

export interface CreateApiKeyOptions {
  name: string;
  role: Role;
  expiresAt?: Date | null;
}

/** Makes a key in the principal's organization; its secret is in the result and nowhere else. */
export async function createApiKey(db: Db, principal: Principal, options: CreateApiKeyOptions) {
  const key = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      orgId: principal.orgId,
      userId: principal.userId,
      name: options.name,
      role: options.role,
      prefix: key.prefix,
      keyHash: key.hash,
      expiresAt: options.expiresAt ?? null,
    })
    .returning(apiKeyColumns);
  return { ...row!, key: key.token };
}

const apiKeyColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  role: apiKeys.role,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  expiresAt: apiKeys.expiresAt,
};

/** The organization's keys that are not revoked, newest first. */
export function listApiKeys(db: Db, orgId: string) {
  return db
    .select(apiKeyColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
}

/** Revokes a key of the caller's organization; it stops working at once. */
export async function revokeApiKey(db: Db, orgId: string, id: string, now = new Date()) {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  if (revoked.length === 0) throw notFound('API key', id);
}
