// Reconnection delays and the small log interface that connection code reports to. It never
// decides whether to reconnect: only how long to wait before the next attempt.

/** Where connection code says what happened; a pino logger fits as it is. */
export interface ConnectionLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** A log that drops everything, for callers that give none. */
export const silentLog: ConnectionLog = { info: () => undefined, warn: () => undefined };

export interface BackoffOptions {
  /** The first delay, in ms. */
  initialMs?: number;
  /** The longest delay, in ms. */
  maxMs?: number;
}

/**
 * The delay before reconnection attempt `attempt` (1, 2, …): doubling from `initialMs` up to
 * `maxMs`, with up to a quarter of jitter so that many processes do not reconnect in step.
 */
export function backoffDelayMs(
  attempt: number,
  { initialMs = 100, maxMs = 5_000 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.25));
}
