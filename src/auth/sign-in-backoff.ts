// Per-account backoff for password checks, shared by every API node through a Postgres row:
// after a few failures the account is locked for a wait that doubles with each further one.
// It must never let a locked account try a password, nor tell a known email from an unknown.
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';

const { signInFailures } = tables;

export interface BackoffPolicy {
  /** Failures allowed before the first lockout. */
  failuresBeforeLockout: number;
  firstLockoutMs: number;
  maxLockoutMs: number;
  /** A count whose last failure is older than this starts again from zero. */
  forgetAfterMs: number;
}

export const defaultBackoffPolicy: BackoffPolicy = {
  failuresBeforeLockout: 5,
  firstLockoutMs: 30_000,
  maxLockoutMs: 15 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
};

/** How long `failures` failures lock the account for: 0 below the threshold. */
export function lockoutMs(failures: number, policy: BackoffPolicy = defaultBackoffPolicy): number {
  const beyond = failures - policy.failuresBeforeLockout;
  if (beyond < 0) return 0;
  return Math.min(policy.firstLockoutMs * 2 ** Math.min(beyond, 30), policy.maxLockoutMs);
}

export interface GuardedCheckOptions {
  db: Db;
  /** The account's normalized email. */
  email: string;
  now: Date;
  /** The password check; true when it passed. */
  check: () => Promise<boolean>;
  policy?: BackoffPolicy;
}

export type GuardedCheck =
  { isPassed: true } | { isPassed: false; failures: number; lockedUntil: Date | null };

/**
 * Runs a password check for an account unless it is locked (SIGN_IN_LOCKED, with the wait).
 * The account's row is locked for the check, so that parallel guesses on any node queue up
 * and each one counts. A pass forgets the failures; a failure may start a lockout.
 */
export async function checkWithBackoff(options: GuardedCheckOptions): Promise<GuardedCheck> {
  const { db, email, now, check, policy = defaultBackoffPolicy } = options;
  return db.transaction(async (tx) => {
    await tx.insert(signInFailures).values({ email }).onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(signInFailures)
      .where(eq(signInFailures.email, email))
      .for('update');
    if (row?.lockedUntil && row.lockedUntil > now) throw lockedError(row.lockedUntil, now);
    if (await check()) {
      await tx.delete(signInFailures).where(eq(signInFailures.email, email));
      return { isPassed: true };
    }
    const isForgotten =
      !row?.lastFailedAt || now.getTime() - row.lastFailedAt.getTime() > policy.forgetAfterMs;
    const failures = (isForgotten ? 0 : row.failures) + 1;
    const wait = lockoutMs(failures, policy);
    const lockedUntil = wait > 0 ? new Date(now.getTime() + wait) : null;
    await tx
      .update(signInFailures)
      .set({ failures, lockedUntil, lastFailedAt: now })
      .where(eq(signInFailures.email, email));
    // Rows of emails nobody tried for a long time (most of them unknown ones) are dropped.
    await tx
      .delete(signInFailures)
      .where(
        and(
          lt(signInFailures.lastFailedAt, new Date(now.getTime() - policy.forgetAfterMs)),
          or(isNull(signInFailures.lockedUntil), lt(signInFailures.lockedUntil, now)),
          sql`${signInFailures.email} <> ${email}`,
        ),
      );
    return { isPassed: false, failures, lockedUntil };
  });
}

/** The answer while an account is locked: the same for every email, with the wait. */
export function lockedError(lockedUntil: Date, now: Date): CadreError {
  const retryAfterSeconds = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
  return new CadreError(
    'SIGN_IN_LOCKED',
    `Too many failed sign-ins for this account: try again in ${retryAfterSeconds} s.`,
    { details: { retryAfterSeconds } },
  );
}
