// The clock the work queue and workers read and sleep on, injected so that lease and retry
// tests run on fake time. The system clock leaves lease arithmetic to the database's clock.
import { sleepWithSignal } from '../llm/index.js';

export interface Clock {
  /** Milliseconds since the epoch; null means "the database's clock" (see timeOf). */
  now(): number | null;
  /** Resolves after `milliseconds` on this clock; rejects with the signal's reason on abort. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

/** Real time: timers for sleeping, the database's now() for leases shared by every machine. */
export const systemClock: Clock = {
  now: () => null,
  sleep: sleepWithSignal,
};

/** The clock's time as the queue functions take it: undefined for the database's own. */
export function queueTime(clock: Clock): Date | undefined {
  const now = clock.now();
  return now === null ? undefined : new Date(now);
}
