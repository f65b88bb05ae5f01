import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type BreakerState } from './circuit-breaker.js';

describe('the circuit breaker', () => {
  it('opens at the threshold, half-opens after the cool-down for one trial, and closes on success', () => {
    const clock = { now: 0 };
    const changes: BreakerState[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 2,
      cooldownMs: 1_000,
      now: () => clock.now,
      onChange: (state) => changes.push(state),
    });
    breaker.onFailure();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.reopensAt()).toBe(1_000);
    clock.now = 999;
    expect(breaker.state()).toBe('open');
    clock.now = 1_000;
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false); // one trial at a time
    expect(breaker.reopensAt()).toBeNull(); // half-open: its probe is in flight
    breaker.onSuccess();
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the trial fails, and a released trial lets the next one through', () => {
    const clock = { now: 0 };
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 10,
      now: () => clock.now,
    });
    breaker.onFailure();
    clock.now = 10;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state()).toBe('open');
    clock.now = 19;
    expect(breaker.tryAcquire()).toBe(false);
  });
});
