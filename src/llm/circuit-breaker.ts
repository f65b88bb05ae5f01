// One circuit breaker per deployment (a model on one endpoint): after enough consecutive
// failures it opens and refuses calls for a cool-down, then lets one probe call through at a
// time (half-open): its success closes the breaker, its failure re-opens it. It never sleeps.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreaker {
  state(): BreakerState;
  /** Whether a call may go now; in half-open state only one trial at a time. */
  tryAcquire(): boolean;
  onSuccess(): void;
  onFailure(): void;
  /** Ends a trial that proved nothing (the caller cancelled it). */
  release(): void;
  /** When an open breaker lets its next probe through (ms since the epoch); null unless open. */
  reopensAt(): number | null;
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now: () => number;
  onChange?: (state: BreakerState) => void;
}

/** A breaker in the closed state. */
export function createCircuitBreaker({
  failureThreshold,
  cooldownMs,
  now,
  onChange,
}: CircuitBreakerOptions): CircuitBreaker {
  let current: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let isTrialRunning = false;
  const set = (next: BreakerState) => {
    if (next === current) return;
    current = next;
    onChange?.(next);
  };
  const state = (): BreakerState => {
    if (current === 'open' && now() - openedAt >= cooldownMs) set('half-open');
    return current;
  };
  return {
    state,
    tryAcquire: () => {
      const seen = state();
      if (seen === 'closed') return true;
      if (seen === 'open' || isTrialRunning) return false;
      isTrialRunning = true;
      return true;
    },
    onSuccess: () => {
      failures = 0;
      isTrialRunning = false;
      set('closed');
    },
    release: () => {
      isTrialRunning = false;
    },
    reopensAt: () => (state() === 'open' ? openedAt + cooldownMs : null),
    onFailure: () => {
      failures += 1;
      const wasTrial = isTrialRunning;
      isTrialRunning = false;
      if (wasTrial || failures >= failureThreshold) {
        openedAt = now();
        set('open');
      }
    },
  };
}
