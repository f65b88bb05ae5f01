// Waiting out open breakers: when every eligible deployment's breaker refuses calls, a call
// waits for the earliest one to let a probe through (at most breaker.maxWaitMs in all) rather
// than failing at once and making its caller spend an attempt inside the cool-down.
import { CadreError } from '../errors/index.js';
import { cancelled, type CallState } from './call-outcomes.js';
import type { GatewayRuntime } from './runtime.js';

/** Whether a call found nothing to send because every breaker it met refused it. */
export function isRefusedByBreakers(state: CallState): boolean {
  return (
    state.attempts === 0 &&
    state.refusals.length === 0 &&
    state.failures.length > 0 &&
    state.failures.every((entry) => entry.failure.code === 'LLM_PROVIDER_UNAVAILABLE')
  );
}

/** Whether a routing error means only that every eligible deployment's breaker is open. */
export function isEveryBreakerOpen(error: unknown): boolean {
  return error instanceof CadreError && error.code === 'LLM_PROVIDER_UNAVAILABLE';
}

/** What one call may still wait for breakers, in ms (it starts at breaker.maxWaitMs). */
export interface WaitBudget {
  remainingMs: number;
}

/**
 * Sleeps until the earliest open breaker lets a probe through (or, while probes are in
 * flight, a moment), taking the wait from `budget`; false, without sleeping, when the budget
 * does not cover it. Counting the waits, not the clock, keeps it bounded on any clock.
 */
export async function waitForProbe(
  runtime: GatewayRuntime,
  budget: WaitBudget,
  signal: AbortSignal,
): Promise<boolean> {
  const now = runtime.now();
  const reopenings = [...runtime.breakers().values()]
    .map((breaker) => breaker.reopensAt())
    .filter((at): at is number => at !== null);
  // No breaker is open: half-open ones have their probe in flight; look again shortly.
  const probePollMs = Math.max(50, Math.min(1_000, runtime.settings.breaker.cooldownMs));
  const wakeAt = reopenings.length > 0 ? Math.min(...reopenings) : now + probePollMs;
  const waitMs = Math.max(10, wakeAt - now);
  if (waitMs > budget.remainingMs) return false;
  budget.remainingMs -= waitMs;
  runtime.logger.warn(
    { waitMs },
    "every eligible model's circuit breaker is open; waiting for the next probe",
  );
  try {
    await runtime.sleep(waitMs, signal);
  } catch {
    throw cancelled();
  }
  return true;
}
