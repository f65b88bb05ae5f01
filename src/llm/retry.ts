// Which failures are worth another try, and how long to wait first: exponential backoff with
// jitter, or the provider's Retry-After. It never sleeps itself; the caller injects sleep().
import { APICallError } from 'ai';
import { CadreError } from '../errors/index.js';

export type FailureKind = 'retryable' | 'fatal' | 'cancelled';

export interface Failure {
  kind: FailureKind;
  /** Recorded in llm_calls.error_code. */
  code: string;
  message: string;
  /** The delay the provider asked for, when it did. */
  retryAfterMs?: number | undefined;
  status?: number | undefined;
  error: unknown;
}

const retryableCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
]);

/** Sorts an error from a provider call into retryable, fatal or cancelled. */
export function classifyFailure(error: unknown, isCallerAborted: boolean): Failure {
  if (isCallerAborted)
    return { kind: 'cancelled', code: 'LLM_CANCELLED', message: 'cancelled', error };
  if (error instanceof CadreError) {
    const isRetryable = error.code === 'LLM_TIMEOUT' || error.code === 'LLM_STREAM_STALLED';
    return {
      kind: isRetryable ? 'retryable' : 'fatal',
      code: error.code,
      message: error.message,
      error,
    };
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const isRetryable =
      status === undefined ? error.isRetryable : status === 408 || status === 429 || status >= 500;
    return {
      kind: isRetryable ? 'retryable' : 'fatal',
      code: status ? `HTTP_${status}` : 'NETWORK',
      message: error.message,
      retryAfterMs: parseRetryAfter(error.responseHeaders),
      status,
      error,
    };
  }
  if (isNetworkError(error)) {
    return { kind: 'retryable', code: 'NETWORK', message: messageOf(error), error };
  }
  return { kind: 'fatal', code: 'INVALID_RESPONSE', message: messageOf(error), error };
}

function isNetworkError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && retryableCodes.has(code)) return true;
    const message = current instanceof Error ? current.message : '';
    if (/fetch failed|terminated|socket hang up|other side closed/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads retry-after-ms or Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  headers: Record<string, string> | undefined,
  now: () => number = Date.now,
): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const milliseconds = Number(lower['retry-after-ms']);
  if (lower['retry-after-ms'] && Number.isFinite(milliseconds)) return Math.max(0, milliseconds);
  const value = lower['retry-after'];
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

export interface BackoffOptions {
  attempt: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  retryAfterMs?: number | undefined;
}

/** The wait before attempt `attempt + 1`: Retry-After when given, else capped 2^n with jitter. */
export function backoffDelay({
  attempt,
  baseDelayMs,
  maxDelayMs,
  random,
  retryAfterMs,
}: BackoffOptions): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  // Equal jitter: never less than half the ceiling, so a burst of callers spreads out.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A sleep that ends early, rejecting, when `signal` aborts. */
export function sleepWithSignal(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
