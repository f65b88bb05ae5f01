// The durable work queue (DESIGN.md D3): ready steps are claimed with FOR UPDATE SKIP LOCKED
// under a lease; every claim bumps the step's fencing token, and every commit must present
// it, so a worker whose lease expired can never commit. It never enqueues outside the
// caller's transaction: state and queue change together or not at all.
import { sql } from 'drizzle-orm';
import { CadreError } from '../errors/index.js';
import type { Db } from '../db/index.js';

/** The channel idle workers LISTEN on; a NOTIFY is sent with every enqueue, at commit. */
export const workChannel = 'cadre_work';

export interface Lease {
  stepId: string;
  /** The fencing token: valid only while it is the step's current one. */
  token: number;
}

export interface ClaimedStep extends Lease {
  orgId: string;
  taskId: string;
  key: string;
  role: string;
  goal: string;
  attempts: number;
  maxAttempts: number;
  enqueuedAt: Date;
  claimedAt: Date;
}

/** Makes steps of a task ready to be claimed, in the caller's transaction. */
export async function enqueueSteps(tx: Db, stepIds: readonly string[]): Promise<number> {
  if (stepIds.length === 0) return 0;
  const result = await tx.execute(sql`
    UPDATE steps SET status = 'queued', enqueued_at = now(), run_after = now(), updated_at = now()
    WHERE id = ANY(${toArray(stepIds)}::uuid[]) AND status = 'pending'`);
  if (result.rowCount) await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
  return result.rowCount ?? 0;
}

export interface ClaimOptions {
  workerId: string;
  limit: number;
  leaseMs: number;
}

/** Takes up to `limit` ready steps for this worker; never blocks on rows others hold. */
export async function claimSteps(
  db: Db,
  { workerId, limit, leaseMs }: ClaimOptions,
): Promise<ClaimedStep[]> {
  const result = await db.execute<Record<string, unknown>>(sql`
    UPDATE steps SET
      status = 'running', attempts = attempts + 1, lease_token = lease_token + 1,
      lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
      worker_id = ${workerId}, claimed_at = clock_timestamp(), updated_at = now()
    WHERE id IN (
      SELECT id FROM steps WHERE status = 'queued' AND run_after <= now()
      ORDER BY priority DESC, run_after, id
      LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, org_id, task_id, key, role, goal, attempts, max_attempts, lease_token,
      enqueued_at, claimed_at`);
  return result.rows.map((row) => ({
    stepId: row.id as string,
    token: Number(row.lease_token),
    orgId: row.org_id as string,
    taskId: row.task_id as string,
    key: row.key as string,
    role: row.role as string,
    goal: row.goal as string,
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    enqueuedAt: new Date(row.enqueued_at as string),
    claimedAt: new Date(row.claimed_at as string),
  }));
}

/** Extends a lease the worker still holds; false when it has lost it. */
export async function renewLease(db: Db, lease: Lease, leaseMs: number): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE steps SET lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ${lease.stepId} AND lease_token = ${lease.token} AND status = 'running'`);
  return result.rowCount === 1;
}

/**
 * Marks a step done with its result, then runs `transition` in the same transaction (the
 * orchestrator's next transition, which may enqueue more steps). LEASE_LOST when fenced out.
 */
export async function completeStep(
  db: Db,
  lease: Lease,
  result: unknown,
  transition?: (tx: Db) => Promise<void>,
): Promise<void> {
  const done = sql`status = 'done', result = ${JSON.stringify(result ?? null)}::jsonb, error = NULL`;
  // Without a transition one statement is its own transaction: one round trip, not three.
  if (!transition) return fenced(db, lease, done);
  await db.transaction(async (tx) => {
    await fenced(tx, lease, done);
    await transition(tx);
  });
}

export interface FailOptions {
  error: string;
  /** False for an error that retrying cannot fix. */
  isRetryable?: boolean;
  /** The delay before the next attempt, from the attempt number. */
  backoffMs?: (attempt: number) => number;
  /** Runs in the transaction that dead-letters the step (the orchestrator fails its task). */
  onDead?: (tx: Db) => Promise<void>;
}

/** The default backoff: 1 s, 2 s, 4 s … up to a minute. */
export const defaultBackoffMs = (attempt: number) => Math.min(60_000, 1000 * 2 ** (attempt - 1));

/**
 * Records a failed attempt: back to the queue after a backoff, or dead-lettered with its
 * error once its attempts are spent. Returns the step's new status.
 */
export async function failStep(
  db: Db,
  lease: Lease,
  options: FailOptions,
): Promise<'queued' | 'dead'> {
  const { error, isRetryable = true, backoffMs = defaultBackoffMs, onDead } = options;
  return db.transaction(async (tx) => {
    const current = await tx.execute<{ attempts: number; max_attempts: number }>(sql`
      SELECT attempts, max_attempts FROM steps
      WHERE id = ${lease.stepId} AND lease_token = ${lease.token} AND status = 'running' FOR UPDATE`);
    const step = current.rows[0];
    if (!step) throw leaseLost(lease);
    if (!isRetryable || step.attempts >= step.max_attempts) {
      await fenced(tx, lease, sql`status = 'dead', error = ${error}`);
      await onDead?.(tx);
      return 'dead';
    }
    const delay = backoffMs(step.attempts) / 1000;
    await fenced(
      tx,
      lease,
      sql`status = 'queued', error = ${error},
      run_after = now() + make_interval(secs => ${delay}), enqueued_at = now() + make_interval(secs => ${delay})`,
    );
    await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
    return 'queued';
  });
}

/**
 * Puts steps whose lease expired back in the queue, or dead-letters those on their last
 * attempt (then `onDead` runs in the same transaction). Returns how many it moved.
 */
export async function sweepExpiredLeases(
  db: Db,
  onDead?: (tx: Db, stepIds: string[]) => Promise<void>,
): Promise<number> {
  return db.transaction(async (tx) => {
    const result = await tx.execute<{ id: string; status: string }>(sql`
      UPDATE steps SET
        status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
        error = CASE WHEN attempts >= max_attempts THEN 'lease expired on the last attempt' ELSE error END,
        worker_id = NULL, lease_expires_at = NULL, run_after = now(), enqueued_at = now(), updated_at = now()
      WHERE id IN (
        SELECT id FROM steps WHERE status = 'running' AND lease_expires_at < now()
        FOR UPDATE SKIP LOCKED)
      RETURNING id, status`);
    const dead = result.rows.filter((row) => row.status === 'dead').map((row) => row.id);
    if (dead.length > 0) await onDead?.(tx, dead);
    if (result.rows.length > dead.length)
      await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
    return result.rows.length;
  });
}

async function fenced(tx: Db, lease: Lease, changes: ReturnType<typeof sql>) {
  const result = await tx.execute(sql`
    UPDATE steps SET ${changes}, worker_id = NULL, lease_expires_at = NULL, updated_at = now()
    WHERE id = ${lease.stepId} AND lease_token = ${lease.token} AND status = 'running'`);
  if (result.rowCount !== 1) throw leaseLost(lease);
}

function leaseLost(lease: Lease) {
  return new CadreError(
    'LEASE_LOST',
    `The lease on step ${lease.stepId} expired or was taken over; its result was not committed.`,
    {
      details: lease,
    },
  );
}

function toArray(ids: readonly string[]) {
  return `{${ids.join(',')}}`;
}
