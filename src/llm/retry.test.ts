import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { CadreError } from '../errors/index.js';
import { backoffDelay, classifyFailure, parseRetryAfter } from './retry.js';

const apiError = (statusCode: number | undefined, headers?: Record<string, string>) =>
  new APICallError({
    message: 'failed',
    url: 'http://127.0.0.1/v1',
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
    isRetryable: statusCode === undefined,
  });

describe('Retry-After', () => {
  it('reads seconds, an HTTP date and retry-after-ms', () => {
    const now = () => Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'Retry-After': '3' }, now)).toBe(3_000);
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, now)).toBe(7_000);
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles up to the cap with jitter between half and all of it, or obeys Retry-After', () => {
    const base = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay({ ...base, attempt: 1, random: () => 0 })).toBe(50);
    expect(backoffDelay({ ...base, attempt: 3, random: () => 1 })).toBe(400);
    expect(backoffDelay({ ...base, attempt: 10, random: () => 1 })).toBe(1_000);
    expect(backoffDelay({ ...base, attempt: 1, random: () => 1, retryAfterMs: 4_000 })).toBe(4_000);
  });
});

describe('classifying failures', () => {
  it('retries 429, 5xx, 408, network failures and our timeouts; not 400 or 401', () => {
    expect(classifyFailure(apiError(429, { 'retry-after': '2' }), false)).toMatchObject({
      kind: 'retryable',
      code: 'HTTP_429',
      retryAfterMs: 2_000,
    });
    expect(classifyFailure(apiError(503), false).kind).toBe('retryable');
    expect(classifyFailure(apiError(408), false).kind).toBe('retryable');
    expect(classifyFailure(apiError(undefined), false)).toMatchObject({
      kind: 'retryable',
      code: 'NETWORK',
    });
    expect(classifyFailure(apiError(400), false)).toMatchObject({
      kind: 'fatal',
      code: 'HTTP_400',
    });
    expect(classifyFailure(apiError(401), false).kind).toBe('fatal');
    expect(classifyFailure(new CadreError('LLM_TIMEOUT', 'slow'), false).kind).toBe('retryable');
    const reset = Object.assign(new Error('socket'), { code: 'ECONNRESET' });
    expect(classifyFailure(new TypeError('fetch failed', { cause: reset }), false).kind).toBe(
      'retryable',
    );
    expect(classifyFailure(apiError(500), true).kind).toBe('cancelled');
  });
});
