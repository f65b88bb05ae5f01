// What a call's attempts end in: results, failures, cache hits and the final error, each
// recorded in the breaker, health, ledger and metrics. It never sends anything to a model.
import { CadreError } from '../errors/index.js';
import type { AttemptOutput } from './attempt.js';
import { writeCache, type CachedResponse } from './cache.js';
import { costOf } from './cost.js';
import type { Deployment } from './registry.js';
import type { Failure } from './retry.js';
import { ledgerEntry, observeCall, type GatewayRuntime } from './runtime.js';
import type { GatewayStreamEvent, GenerateRequest, GenerateResult } from './types.js';

export type Emit = ((event: GatewayStreamEvent) => void) | undefined;

/** Everything one call accumulates across its attempts. */
export interface CallState {
  runtime: GatewayRuntime;
  request: GenerateRequest;
  signal: AbortSignal;
  emit: Emit;
  routeReason: string;
  inputTokens: number;
  attempts: number;
  hasEmitted: boolean;
  failures: Array<{ deployment: Deployment; failure: Failure }>;
  refusals: CadreError[];
}

/**
 * Records a successful attempt everywhere it counts and builds the result. Its ledger row is
 * in the database before the answer is handed on: a process that dies after still paid for it.
 */
export async function succeed(
  state: CallState,
  deployment: Deployment,
  output: AttemptOutput,
  latencyMs: number,
): Promise<GenerateResult> {
  const { runtime, request } = state;
  runtime.breaker(deployment).onSuccess();
  runtime.health.finish(deployment.id, { latencyMs, isError: false });
  runtime.providerErrors.clear(deployment.id);
  const result: GenerateResult = {
    ...output,
    costUsd: costOf(deployment.model, output.usage),
    latencyMs,
    model: deployment.model.id,
    provider: deployment.endpoint.name,
    routeReason: state.routeReason,
    isCacheHit: false,
    attempts: state.attempts,
  };
  await runtime.ledger.write(
    ledgerEntry(request.context, deployment, {
      ...output.usage,
      costUsd: result.costUsd,
      latencyMs,
      status: 'ok',
      routeReason: attemptReason(state, deployment),
      createdAt: new Date(runtime.now()),
    }),
  );
  observeCall(runtime.metrics, deployment, { status: 'ok', latencyMs, result });
  return result;
}

/**
 * Records a failed attempt in the breaker, health, ledger (written at once), metrics, log and
 * the provider's last error, in the provider's own words with the server's URL.
 */
export async function fail(
  state: CallState,
  deployment: Deployment,
  raw: Failure,
  latencyMs: number,
) {
  const { runtime, request } = state;
  const failure = { ...raw, message: providerMessage(deployment, raw) };
  const breaker = runtime.breaker(deployment);
  const isCallerMistake =
    failure.status !== undefined && failure.status < 500 && ![408, 429].includes(failure.status);
  if (failure.kind === 'cancelled') {
    runtime.health.abandon(deployment.id);
    breaker.release();
  } else {
    runtime.health.finish(deployment.id, { latencyMs, isError: true });
    runtime.providerErrors.record(deployment, failure, runtime.now());
    // A served model the server no longer knows: its list has changed.
    if (failure.status === 404 && isDiscovered(runtime, deployment)) {
      void runtime.discovery.refreshIfStale(notFoundRefreshMs);
    }
    // A refused request (400, 401, 404…) shows the provider is up: it is not the breaker's business.
    if (isCallerMistake) breaker.onSuccess();
    else breaker.onFailure();
  }
  state.failures.push({ deployment, failure });
  const status = failure.kind === 'cancelled' ? 'cancelled' : 'error';
  await runtime.ledger.write(
    ledgerEntry(request.context, deployment, {
      latencyMs,
      status,
      errorCode: failure.code,
      errorMessage: status === 'error' ? failure.message.slice(0, 1_000) : null,
      routeReason: attemptReason(state, deployment),
      createdAt: new Date(runtime.now()),
    }),
  );
  observeCall(runtime.metrics, deployment, { status, latencyMs, errorCode: failure.code });
  runtime.logger.warn(
    {
      model: deployment.model.id,
      provider: deployment.endpoint.name,
      code: failure.code,
      error: failure.message,
      taskId: request.context.taskId,
    },
    'model call failed',
  );
}

/** How long after a refresh a model-not-found answer may ask the server's list again. */
const notFoundRefreshMs = 1_000;

function isDiscovered(runtime: CallState['runtime'], deployment: Deployment): boolean {
  return runtime.discovery.status().some((status) => status.endpoint === deployment.endpoint.name);
}

/**
 * The provider's message with the endpoint's secrets hidden, and for a failure to reach it
 * the server's URL: "connect ECONNREFUSED" alone does not say which setting is wrong.
 */
function providerMessage(deployment: Deployment, failure: Failure): string {
  const { baseUrl } = deployment.endpoint;
  const isUnreached = ['NETWORK', 'LLM_TIMEOUT', 'LLM_STREAM_STALLED'].includes(failure.code);
  const message =
    isUnreached && baseUrl && !failure.message.includes(baseUrl)
      ? `${failure.message} (${baseUrl})`
      : failure.message;
  return deployment.endpoint.redact(message);
}

function attemptReason(state: CallState, deployment: Deployment): string {
  const earlier = state.failures.map((entry) => `${entry.deployment.id}: ${entry.failure.code}`);
  return earlier.length
    ? `${state.routeReason}; attempt ${state.attempts} on ${deployment.id} after ${earlier.join(', ')}`
    : state.routeReason;
}

/** The result of a cache hit, replayed as stream events and recorded at zero cost. */
export function answerFromCache(
  state: CallState,
  deployment: Deployment,
  hit: CachedResponse,
): GenerateResult {
  const { runtime, request } = state;
  const result: GenerateResult = {
    text: hit.text,
    reasoning: hit.reasoning,
    toolCalls: hit.toolCalls,
    finishReason: hit.finishReason,
    usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
    costUsd: 0,
    latencyMs: 0,
    model: hit.model,
    provider: hit.provider,
    routeReason: `${state.routeReason}; answered from the cache`,
    isCacheHit: true,
    attempts: 0,
  };
  if (result.reasoning) state.emit?.({ type: 'reasoning-delta', text: result.reasoning });
  if (result.text) state.emit?.({ type: 'text-delta', text: result.text });
  for (const toolCall of result.toolCalls) state.emit?.({ type: 'tool-call', toolCall });
  runtime.ledger.record(
    ledgerEntry(request.context, deployment, {
      status: 'ok',
      isCacheHit: true,
      routeReason: result.routeReason,
      createdAt: new Date(runtime.now()),
    }),
  );
  runtime.metrics.cacheHits.inc({ model: hit.model });
  return result;
}

/** Stores a deterministic answer off the response path; close() waits for it. */
export function storeInCache(
  runtime: GatewayRuntime,
  key: string,
  orgId: string,
  result: GenerateResult,
) {
  const response: CachedResponse = {
    model: result.model,
    provider: result.provider,
    text: result.text,
    reasoning: result.reasoning,
    toolCalls: result.toolCalls,
    finishReason: result.finishReason,
    usage: result.usage,
  };
  const write = writeCache(runtime.db, {
    orgId,
    key,
    response,
    ttlSeconds: runtime.settings.cache.ttlSeconds,
  })
    .catch((error: unknown) => runtime.logger.error({ err: error }, 'llm cache write failed'))
    .finally(() => runtime.background.delete(write));
  runtime.background.add(write);
}

/** The error a call ends with when no model answered: a refusal, or the failures. */
export function finalError(state: CallState, first: Deployment): CadreError {
  const { runtime, request } = state;
  if (state.attempts === 0 && state.refusals.length > 0) {
    runtime.ledger.record(
      ledgerEntry(request.context, first, {
        status: 'refused',
        errorCode: 'LLM_BUDGET_EXCEEDED',
        routeReason: `${state.routeReason}; refused: ${state.refusals[0]!.message}`,
        createdAt: new Date(runtime.now()),
      }),
    );
    return state.refusals[0]!;
  }
  const causes = state.failures.map((entry) => entry.failure.error);
  const codes = new Set(state.failures.map((entry) => entry.failure.code));
  const only = causes[0];
  if (codes.size === 1 && only instanceof CadreError) {
    // Our own error (a timeout), with what fail() added to it: the server's URL.
    const { message } = state.failures.at(-1)!.failure;
    return message === only.message
      ? only
      : new CadreError(only.code, message, { cause: only, details: only.details });
  }
  const summary = state.failures
    .map((entry) =>
      `${entry.deployment.id}: ${entry.failure.code} ${entry.failure.message}`.slice(0, 300),
    )
    .join('; ');
  return new CadreError(
    'LLM_PROVIDER_FAILED',
    `No model answered after ${state.attempts} attempt(s): ${summary}. Check the providers' status and keys, or configure another model.`,
    {
      cause: only,
      details: {
        failures: state.failures.map((entry) => ({
          deployment: entry.deployment.id,
          code: entry.failure.code,
        })),
      },
    },
  );
}

/** The failure recorded when a provider's breaker refuses an attempt. */
export function breakerOpen(deployment: Deployment): Failure {
  const error = new CadreError(
    'LLM_PROVIDER_UNAVAILABLE',
    `The circuit breaker of ${deployment.id} is open after repeated failures; retry in a moment.`,
  );
  return { kind: 'fatal', code: 'LLM_PROVIDER_UNAVAILABLE', message: error.message, error };
}

/** The error of a call its caller cancelled. */
export function cancelled(): CadreError {
  return new CadreError('LLM_CANCELLED', 'The model call was cancelled by its caller.');
}
