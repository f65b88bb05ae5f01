// A worker: claims ready steps up to its concurrency, runs each through the handler under a
// heartbeat-renewed lease, and commits with the fencing token. It sleeps on LISTEN/NOTIFY
// when there is nothing to do, and never holds a database connection while a step runs.
// Every timer runs on the injected clock, so lease and retry tests run on fake time.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus } from '../bus/index.js';
import type { Database, Db, Listener } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';
import {
  agentFinished,
  agentHeartbeat,
  agentStarted,
  agentsStopped,
  agentTopic,
  defaultHeartbeatMs,
  markStuckAgents,
  type AgentStatus,
} from './agents.js';
import { queueTime, systemClock, type Clock } from './clock.js';
import {
  claimSteps,
  completeStep,
  defaultBackoffMs,
  failStep,
  releaseStep,
  renewLease,
  sweepExpiredLeases,
  workChannel,
  type AfterCommit,
  type ClaimedStep,
  type SweptStep,
} from './work-queue.js';

export interface StepOutcome {
  result: unknown;
  /** The orchestrator's transition, run in the transaction that commits the step. */
  transition?: (tx: Db) => Promise<void>;
  /** Runs once the step has committed (e.g. publishing the events the transition appended). */
  afterCommit?: () => Promise<void>;
  /** What the step's agent does next: 'waiting' when the step waits for a human. */
  agentStatus?: 'idle' | 'waiting';
}

/** Runs one claimed step; `signal` aborts when the lease is lost or the worker stops. */
export type StepHandler = (step: ClaimedStep, signal: AbortSignal) => Promise<StepOutcome>;

export interface WorkerOptions {
  database: Database;
  handler: StepHandler;
  logger: Logger;
  workerId?: string;
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  /** How often an idle worker looks anyway, in case a notification was missed. */
  pollMs?: number;
  /** How often this worker sweeps expired leases back into the queue. */
  sweepMs?: number;
  /** A permanent failure: the handler's error is not worth retrying. */
  isRetryable?: (error: unknown) => boolean;
  /** The delay before a failed step's next attempt. */
  backoffMs?: (attempt: number) => number;
  /**
   * Runs in the transaction that dead-letters steps, with their ids and the last error; what
   * it returns runs once that transaction has committed (publishing the events it appended).
   */
  onDead?: (tx: Db, stepIds: string[], error: string) => Promise<AfterCommit | void>;
  /** Where agents' status changes are published (`agentTopic`), for live views. */
  bus?: Bus;
  /** The clock leases, heartbeats, sweeps and polls run on (fake time in tests). */
  clock?: Clock;
}

export interface Worker {
  id: string;
  start(): Promise<void>;
  /** Stops claiming, aborts running steps and waits for them to end. */
  stop(): Promise<void>;
}

/** A worker over the shared Postgres queue; start as many as wanted, in as many processes. */
export function createWorker(options: WorkerOptions): Worker {
  const {
    database,
    handler,
    logger,
    workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    concurrency = 4,
    leaseMs = 10_000,
    heartbeatMs = defaultHeartbeatMs,
    pollMs = 1_000,
    sweepMs = 2_000,
    isRetryable = () => true,
    backoffMs = defaultBackoffMs,
    onDead,
    bus,
    clock = systemClock,
  } = options;
  const { db } = database;
  const running = new Map<string, Promise<void>>();
  // Which of the `concurrency` slots are busy; a slot names the agent that runs the step.
  const busySlots = new Set<number>();
  const freeSlot = () => {
    let slot = 0;
    while (busySlots.has(slot)) slot++;
    busySlots.add(slot);
    return slot;
  };
  const stopping = new AbortController();
  let listener: Listener | null = null;
  let wake: (() => void) | null = null;
  // A notification that arrives while the worker is busy claiming must not be lost.
  let isNudged = false;
  let loop: Promise<void> = Promise.resolve();
  let sweeper: Promise<void> = Promise.resolve();

  const nudge = () => {
    isNudged = true;
    wake?.();
  };

  // The agents table mirrors what runs where, for people; the queue never depends on it.
  const track = <T>(work: Promise<T>, what: string) =>
    work.catch((error: unknown) => {
      logger.warn({ err: error, workerId }, `could not record ${what}`);
      return null;
    });
  const announce = (agentId: string, orgId: string, status: AgentStatus, stepId: string) =>
    bus &&
    track(bus.publish(agentTopic(orgId, agentId), { agentId, status, stepId }), 'an agent change');

  /** Renews the lease every heartbeat until `done` aborts; aborts `lost` when it is gone. */
  async function keepLease(
    step: ClaimedStep,
    agentId: string | null,
    lost: AbortController,
    done: AbortSignal,
  ) {
    for (;;) {
      try {
        await clock.sleep(heartbeatMs, done);
      } catch {
        return;
      }
      await renewLease(db, step, leaseMs, queueTime(clock)).then(
        (isHeld) => isHeld || lost.abort(new Error('lease lost')),
        (error: unknown) => logger.warn({ err: error, stepId: step.stepId }, 'heartbeat failed'),
      );
      if (agentId) void track(agentHeartbeat(db, agentId), 'a heartbeat');
    }
  }

  async function run(step: ClaimedStep, slot: number) {
    const lost = new AbortController();
    const signal = AbortSignal.any([lost.signal, stopping.signal]);
    const agentId = await track(
      agentStarted(db, { orgId: step.orgId, role: step.role, workerId, slot, stepId: step.stepId }),
      'an agent start',
    );
    if (agentId) await announce(agentId, step.orgId, 'working', step.stepId);
    const handled = new AbortController();
    const heartbeat = keepLease(step, agentId, lost, handled.signal);
    const ids = { workerId, taskId: step.taskId, stepId: step.stepId, attempt: step.attempts };
    try {
      const outcome = await handler(step, signal);
      handled.abort();
      await heartbeat;
      await completeStep(db, step, outcome.result, outcome.transition);
      if (agentId) {
        const status = outcome.agentStatus ?? 'idle';
        await track(agentFinished(db, agentId, status), 'an agent end');
        await announce(agentId, step.orgId, status, step.stepId);
      }
      await outcome
        .afterCommit?.()
        .catch((error: unknown) => logger.warn({ err: error, ...ids }, 'after-commit work failed'));
    } catch (error) {
      handled.abort();
      await heartbeat;
      if (stopping.signal.aborted) {
        // Not a failure and not a death: hand the step straight back for another worker.
        await releaseStep(db, step).catch((failure: unknown) =>
          logger.warn({ err: failure, ...ids }, 'could not release the step; its lease expires'),
        );
        return;
      }
      if (agentId) {
        await track(agentFinished(db, agentId, 'error'), 'an agent end');
        await announce(agentId, step.orgId, 'error', step.stepId);
      }
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof CadreError ? error.code : 'ERROR';
      const retryable = isRetryable(error);
      logger.warn({ err: error, ...ids, code, isRetryable: retryable }, 'step attempt failed');
      const dead = onDead && ((tx: Db) => onDead(tx, [step.stepId], message));
      await failStep(db, step, {
        error: message,
        code,
        isRetryable: retryable,
        backoffMs,
        onDead: dead,
        now: queueTime(clock),
      }).then(
        (status) =>
          status === 'dead' &&
          logger.error({ ...ids, code }, `step dead-lettered: ${message.slice(0, 500)}`),
        (failure: unknown) => logger.warn({ err: failure, ...ids }, 'could not record the failure'),
      );
    }
  }

  async function claimLoop() {
    while (!stopping.signal.aborted) {
      isNudged = false; // what arrives from here on is seen by the next idle()
      const free = concurrency - running.size;
      const steps =
        free > 0
          ? await claimSteps(db, { workerId, limit: free, leaseMs, now: queueTime(clock) }).catch(
              logClaimError,
            )
          : [];
      for (const step of steps) {
        const slot = freeSlot();
        const task = run(step, slot).finally(() => {
          busySlots.delete(slot);
          running.delete(step.stepId);
          nudge();
        });
        running.set(step.stepId, task);
      }
      if (steps.length === 0 || running.size >= concurrency) await idle();
    }
  }

  function logClaimError(error: unknown): ClaimedStep[] {
    logger.warn({ err: error }, 'claim failed');
    return [];
  }

  async function idle(): Promise<void> {
    if (isNudged) {
      isNudged = false;
      return;
    }
    const woken = new AbortController();
    wake = () => woken.abort();
    await clock.sleep(pollMs, woken.signal).catch(() => undefined);
    wake = null;
    isNudged = false;
  }

  /** Moves expired leases back to the queue (or dead-letters them), logging each. */
  async function sweep() {
    await track(markStuckAgents(db, leaseMs), 'stuck agents');
    const swept = await sweepExpiredLeases(db, {
      now: queueTime(clock),
      onDead: onDead && ((tx: Db, step: SweptStep) => onDead(tx, [step.stepId], step.error ?? '')),
    });
    for (const step of swept) {
      const fields = { ...step, sweptBy: workerId };
      if (step.status === 'dead')
        logger.error(fields, 'step dead-lettered: its workers kept dying');
      else logger.warn(fields, 'lease expired; step re-queued without spending an attempt');
    }
  }

  async function sweepLoop() {
    while (!stopping.signal.aborted) {
      try {
        await clock.sleep(sweepMs, stopping.signal);
      } catch {
        return;
      }
      await sweep().catch((error: unknown) => logger.warn({ err: error }, 'sweep failed'));
    }
  }

  return {
    id: workerId,
    async start() {
      // While the notification connection is down the poll interval finds new work; once it
      // is back, one claim at once picks up what was enqueued meanwhile.
      listener = await database.listen(workChannel, nudge, {
        onLost: (error) =>
          logger.warn({ err: error, workerId }, 'work notifications lost; polling until back'),
        onRestored: () => {
          logger.info({ workerId }, 'work notifications restored; looking for missed work');
          nudge();
        },
      });
      sweeper = sweepLoop();
      loop = claimLoop();
      logger.info({ workerId, concurrency }, 'worker started');
    },
    async stop() {
      stopping.abort(new Error('worker stopping'));
      nudge();
      await loop;
      await sweeper;
      await Promise.allSettled(running.values());
      await track(agentsStopped(db, workerId), 'the agents stopping');
      if (listener) {
        await listener.close();
        listener = null;
      }
    },
  };
}
