// A fake clock for lease and retry tests: time moves only when the test advances it, and
// sleepers wake when it passes their deadline. It starts an hour ahead of the real clock so
// that steps enqueued at the database's now() are already due on it.
import type { Clock } from '../../src/orchestrator/clock.js';

export interface TestClock extends Clock {
  now(): number;
  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  advance(milliseconds: number): void;
  /** How many sleeps are waiting. */
  readonly sleepers: number;
}

/** A clock frozen until advanced. */
export function createTestClock(start = Date.now() + 3_600_000): TestClock {
  let now = start;
  const waiting = new Set<{ at: number; wake: () => void }>();
  return {
    now: () => now,
    sleep: (milliseconds, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = {
          at: now + milliseconds,
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            waiting.delete(sleeper);
            resolve();
          },
        };
        const onAbort = () => {
          waiting.delete(sleeper);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        if (milliseconds <= 0) return sleeper.wake();
        waiting.add(sleeper);
      }),
    advance(milliseconds) {
      now += milliseconds;
      for (const sleeper of [...waiting]) if (sleeper.at <= now) sleeper.wake();
    },
    get sleepers() {
      return waiting.size;
    },
  };
}
