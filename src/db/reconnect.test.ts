import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './reconnect.js';

describe('backoffDelayMs', () => {
  it('doubles from the first delay up to the longest, never waiting more than that', () => {
    const noJitter = () => 1;
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) =>
      backoffDelayMs(attempt, { initialMs: 100, maxMs: 5_000 }, noJitter),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('takes up to a quarter off at random, so that processes do not reconnect in step', () => {
    expect(backoffDelayMs(3, { initialMs: 100 }, () => 0)).toBe(300);
    expect(backoffDelayMs(3, { initialMs: 100 }, () => 0.5)).toBe(350);
  });
});
