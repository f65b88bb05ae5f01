// Password sign-in, sessions, password changes and API key management.
import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { recordAudit } from './audit.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { checkWithBackoff } from './sign-in-backoff.js';
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

export interface SignInOptions {
  email: string;
  password: string;
  now?: Date;
  /** The client's address, recorded when its failures lock the account. */
  clientAddress?: string;
  requestId?: string;
}

/**
 * Signs in with email and password; one message for every failure, so as to reveal nothing.
 * A few failures lock the email for a growing wait (SIGN_IN_LOCKED), audited when it is a user's.
 */
export async function signIn(db: Db, options: SignInOptions): Promise<SignInGrant> {
  const { password, now = new Date() } = options;
  const email = normalizeEmail(options.email);
  const [user] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, orgId: memberships.orgId })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .where(eq(users.email, email))
    .orderBy(memberships.createdAt)
    .limit(1);
  const outcome = await checkWithBackoff({
    db,
    email,
    now,
    // An unknown email costs the same hashing as a wrong password: timing tells nothing.
    check: async () =>
      (await verifyPassword(password, user?.passwordHash ?? (await decoyHash()))) &&
      Boolean(user?.passwordHash),
  });
  if (!outcome.isPassed) {
    if (outcome.lockedUntil && user) {
      await auditLockout(db, { ...options, now }, user, outcome.failures, outcome.lockedUntil);
    }
    throw new CadreError('UNAUTHENTICATED', 'Wrong email or password.');
  }
  const session = generateSessionToken();
  const expiresAt = new Date(now.getTime() + sessionLifetimeMs);
  await db
    .insert(sessions)
    .values({ orgId: user!.orgId, userId: user!.id, tokenHash: session.hash, expiresAt });
  return { token: session.token, expiresAt, orgId: user!.orgId, userId: user!.id };
}

export type SignInGrant = SessionGrant;

const normalizeEmail = (email: string) => email.trim().toLowerCase();

async function auditLockout(
  db: Db,
  options: { now: Date; clientAddress?: string; requestId?: string },
  user: { id: string; orgId: string },
  failures: number,
  lockedUntil: Date,
) {
  await recordAudit(
    db,
    {
      orgId: user.orgId,
      kind: 'anonymous',
      userId: null,
      credentialId: options.clientAddress ?? null,
    },
    {
      action: 'sign-in-locked',
      targetType: 'user',
      targetId: user.id,
      data: {
        failures,
        lockedUntil: lockedUntil.toISOString(),
        retryAfterSeconds: Math.ceil((lockedUntil.getTime() - options.now.getTime()) / 1000),
      },
      requestId: options.requestId,
    },
  );
}

/** Ends the session behind `token`. */
export async function signOut(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

export interface ChangePasswordOptions {
  password: string;
  /** Needed when the user has a password already. */
  currentPassword?: string;
  /** The session making the change, which stays signed in; every other one ends. */
  keepSessionId?: string | null;
  /** The organization a lockout is audited in: the caller's. */
  orgId: string;
  now?: Date;
  clientAddress?: string;
  requestId?: string;
}

/**
 * Sets a user's password. When one is set, the current one must be given (checked under the
 * same per-account backoff as sign-in); every session of the user but `keepSessionId` ends.
 * Any refusal changes nothing.
 */
export async function changePassword(
  db: Db,
  userId: string,
  options: ChangePasswordOptions,
): Promise<{ endedSessions: number }> {
  const { now = new Date() } = options;
  const [user] = await db
    .select({ email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw notFound('user', userId);
  if (user.passwordHash !== null) {
    const currentPassword = options.currentPassword;
    if (!currentPassword) {
      throw new CadreError(
        'CURRENT_PASSWORD_REQUIRED',
        'currentPassword: give the current password to change it.',
        { details: [{ field: 'body.currentPassword', message: 'required' }] },
      );
    }
    const storedHash = user.passwordHash;
    const outcome = await checkWithBackoff({
      db,
      email: user.email,
      now,
      check: () => verifyPassword(currentPassword, storedHash),
    });
    if (!outcome.isPassed) {
      if (outcome.lockedUntil) {
        const { orgId } = options;
        await auditLockout(
          db,
          { ...options, now },
          { id: userId, orgId },
          outcome.failures,
          outcome.lockedUntil,
        );
      }
      throw new CadreError('CURRENT_PASSWORD_WRONG', 'currentPassword: this is not the password.');
    }
  }
  const passwordHash = await hashPassword(options.password);
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    const ended = await tx
      .delete(sessions)
      .where(
        options.keepSessionId
          ? and(eq(sessions.userId, userId), ne(sessions.id, options.keepSessionId))
          : eq(sessions.userId, userId),
      )
      .returning({ id: sessions.id });
    return { endedSessions: ended.length };
  });
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
