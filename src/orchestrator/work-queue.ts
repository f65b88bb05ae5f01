// The durable work queue (DESIGN.md D3): ready steps are claimed with FOR UPDATE SKIP LOCKED
// under a lease; every claim bumps the step's fencing token, and every commit must present
// it, so a worker whose lease expired can never commit. It never enqueues outside the
// caller's transaction: state and queue change together or not at all. A failed attempt and a
// lease that expired because its worker died are counted apart: a kill is not a failure.
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
  /** How many times the step was claimed, this claim included. */
  attempts: number;
  maxAttempts: number;
  enqueuedAt: Date;
  claimedAt: Date;
}

/** One failed attempt or expired lease of a step, as kept in steps.attempt_errors. */
export interface AttemptError {
  /** The claim it happened on (steps.attempts at the time). */
  attempt: number;
  /** A CadreError's code, STEP_LEASE_EXPIRED for a worker that died, or ERROR. */
  code: string;
  message: string;
  workerId: string | null;
  /** ISO 8601. */
  at: string;
}

/** Work to do once a transaction has committed (publishing the events it appended). */
export type AfterCommit = () => Promise<void>;

/**
 * The time a queue operation compares leases and run_after with: the injected clock's when one
 * is given (tests run leases on fake time), else the database's own, which every worker shares.
 */
function timeOf(now: Date | undefined) {
  return now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
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
  /** The injected clock's time; the database's when absent. */
  now?: Date | undefined;
}

/** Takes up to `limit` ready steps for this worker; never blocks on rows others hold. */
export async function claimSteps(
  db: Db,
  { workerId, limit, leaseMs, now }: ClaimOptions,
): Promise<ClaimedStep[]> {
  const at = timeOf(now);
  const result = await db.execute<Record<string, unknown>>(sql`
    UPDATE steps SET
      status = 'running', attempts = attempts + 1, lease_token = lease_token + 1,
      lease_expires_at = ${at} + make_interval(secs => ${leaseMs / 1000}),
      worker_id = ${workerId}, claimed_at = clock_timestamp(), updated_at = now()
    WHERE id IN (
      SELECT id FROM steps WHERE status = 'queued' AND run_after <= ${at}
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
export async function renewLease(
  db: Db,
  lease: Lease,
  leaseMs: number,
  now?: Date,
): Promise<boolean> {
  const result = await db.execute(sql`
    UPDATE steps SET lease_expires_at = ${timeOf(now)} + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ${lease.stepId} AND lease_token = ${lease.token} AND status = 'running'`);
  return result.rowCount === 1;
}

/**
 * Puts a step its worker is giving up on (the worker is stopping) straight back in the queue,
 * spending neither a failure nor a lease expiry. LEASE_LOST when fenced out.
 */
export async function releaseStep(db: Db, lease: Lease): Promise<void> {
  await db.transaction(async (tx) => {
    await fenced(tx, lease, sql`status = 'queued', run_after = now(), enqueued_at = now()`);
    await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
  });
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
  /** The error's stable code (a CadreError's), kept with the attempt; ERROR when absent. */
  code?: string | undefined;
  /** False for an error that retrying cannot fix. */
  isRetryable?: boolean;
  /** The delay before the next attempt, from the number of failed attempts so far. */
  backoffMs?: (failures: number) => number;
  /**
   * Runs in the transaction that dead-letters the step (the orchestrator fails its task); what
   * it returns runs once that transaction has committed, never before and never after a rollback.
   */
  onDead?: (tx: Db) => Promise<AfterCommit | void>;
  /** The injected clock's time; the database's when absent. */
  now?: Date | undefined;
}

const maxErrorLength = 4_000;

/** The default backoff: 1 s, 2 s, 4 s … up to a minute. */
export const defaultBackoffMs = (attempt: number) => Math.min(60_000, 1000 * 2 ** (attempt - 1));

/**
 * Records a failed attempt (kept in attempt_errors): back to the queue after a backoff, or
 * dead-lettered with its error once max_attempts attempts have failed. Returns the new status.
 */
export async function failStep(
  db: Db,
  lease: Lease,
  options: FailOptions,
): Promise<'queued' | 'dead'> {
  const { code = 'ERROR', isRetryable = true, backoffMs = defaultBackoffMs } = options;
  // Kept once per attempt: a long message (a failed query with its parameters) is cut short.
  const error = options.error.slice(0, maxErrorLength);
  const at = timeOf(options.now);
  let afterCommit: AfterCommit | void = undefined;
  const status = await db.transaction(async (tx) => {
    const current = await tx.execute<{
      attempts: number;
      failures: number;
      max_attempts: number;
      worker_id: string | null;
    }>(sql`
      SELECT attempts, failures, max_attempts, worker_id FROM steps
      WHERE id = ${lease.stepId} AND lease_token = ${lease.token} AND status = 'running' FOR UPDATE`);
    const step = current.rows[0];
    if (!step) throw leaseLost(lease);
    const failures = step.failures + 1;
    const record = sql`failures = ${failures}, error = ${error},
      attempt_errors = attempt_errors || jsonb_build_array(jsonb_build_object(
        'attempt', ${step.attempts}::int, 'code', ${code}::text, 'message', ${error}::text,
        'workerId', ${step.worker_id}::text, 'at', ${at}))`;
    if (!isRetryable || failures >= step.max_attempts) {
      await fenced(tx, lease, sql`status = 'dead', ${record}`);
      afterCommit = await options.onDead?.(tx);
      return 'dead' as const;
    }
    const delay = backoffMs(failures) / 1000;
    await fenced(
      tx,
      lease,
      sql`status = 'queued', ${record},
      run_after = ${at} + make_interval(secs => ${delay}), enqueued_at = ${at} + make_interval(secs => ${delay})`,
    );
    await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
    return 'queued' as const;
  });
  await (afterCommit as AfterCommit | void)?.();
  return status;
}

/** A step the sweeper moved because its lease expired. */
export interface SweptStep {
  stepId: string;
  taskId: string;
  status: 'queued' | 'dead';
  leaseExpiries: number;
  /** The worker that held the expired lease. */
  workerId: string | null;
  /** The final error, for a dead-lettered step. */
  error: string | null;
}

export interface SweepOptions {
  /** The injected clock's time; the database's when absent. */
  now?: Date | undefined;
  /**
   * Runs in the sweep's transaction for each step dead-lettered because its workers kept dying;
   * what it returns runs once that transaction has committed.
   */
  onDead?: (tx: Db, step: SweptStep) => Promise<AfterCommit | void>;
}

/**
 * Puts steps whose lease expired (their worker died or hung) back in the queue, in the place
 * they had, without spending a failed attempt, counting the expiry instead; a step whose lease expired
 * max_lease_expiries times is dead-lettered with STEP_WORKERS_DIED. Returns the moved steps.
 */
export async function sweepExpiredLeases(db: Db, options: SweepOptions = {}): Promise<SweptStep[]> {
  const at = timeOf(options.now);
  const afterCommits: AfterCommit[] = [];
  const swept = await db.transaction(async (tx) => {
    const result = await tx.execute<{
      id: string;
      task_id: string;
      status: 'queued' | 'dead';
      lease_expiries: number;
      worker_id: string | null;
      error: string | null;
    }>(sql`
      UPDATE steps s SET
        lease_expiries = s.lease_expiries + 1,
        status = CASE WHEN s.lease_expiries + 1 >= s.max_lease_expiries THEN 'dead' ELSE 'queued' END,
        error = CASE WHEN s.lease_expiries + 1 >= s.max_lease_expiries
          THEN format('The workers running this step kept dying: its lease expired %s times (the bound, steps.max_lease_expiries), the last time under worker %s. The step itself never failed; look for crashes or out-of-memory kills in the workers'' logs, then retry the task.', s.lease_expiries + 1, COALESCE(old.worker_id, 'unknown'))
          ELSE s.error END,
        attempt_errors = s.attempt_errors || jsonb_build_array(jsonb_build_object(
          'attempt', s.attempts, 'code', 'STEP_LEASE_EXPIRED',
          'message', 'The lease expired: its worker died or stopped renewing it.',
          'workerId', old.worker_id, 'at', ${at})),
        -- Its place in the queue is kept: the step was started and holds checkpointed work, so
        -- it goes before the steps that became runnable after it, not behind them.
        worker_id = NULL, lease_expires_at = NULL, run_after = LEAST(s.run_after, ${at}), enqueued_at = ${at},
        updated_at = now()
      FROM (
        SELECT id, worker_id FROM steps WHERE status = 'running' AND lease_expires_at < ${at}
        FOR UPDATE SKIP LOCKED) old
      WHERE s.id = old.id
      RETURNING s.id, s.task_id, s.status, s.lease_expiries, old.worker_id, s.error`);
    const steps: SweptStep[] = result.rows.map((row) => ({
      stepId: row.id,
      taskId: row.task_id,
      status: row.status,
      leaseExpiries: row.lease_expiries,
      workerId: row.worker_id,
      error: row.status === 'dead' ? row.error : null,
    }));
    for (const step of steps) {
      if (step.status !== 'dead' || !options.onDead) continue;
      const after = await options.onDead(tx, step);
      if (after) afterCommits.push(after);
    }
    if (steps.some((step) => step.status === 'queued'))
      await tx.execute(sql`SELECT pg_notify(${workChannel}, '')`);
    return steps;
  });
  for (const after of afterCommits) await after();
  return swept;
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
