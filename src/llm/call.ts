// One gateway call from start to end: scope, route, cache, budgets, then attempts with
// retries, breakers and fallback, each recorded in the ledger. Never sends a refused call.
import { CadreError } from '../errors/index.js';
import { runAttempt, type AttemptOutput } from './attempt.js';
import { findBudgetViolation, loadSpent, type Spent } from './budgets.js';
import { cacheKey, isCacheable, readCache, writeCache, type CachedResponse } from './cache.js';
import { costOf, estimateCall, estimateInputTokens } from './cost.js';
import type { Deployment } from './registry.js';
import { backoffDelay, classifyFailure, type Failure } from './retry.js';
import { route } from './router.js';
import { ledgerEntry, observeCall, type GatewayRuntime } from './runtime.js';
import { notConfiguredError } from './setup-guidance.js';
import type { GatewayStreamEvent, GenerateRequest, GenerateResult } from './types.js';

type Emit = ((event: GatewayStreamEvent) => void) | undefined;

interface CallState {
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

/** Runs one call; `emit` receives stream events when the caller streams. */
export async function runCall(
  runtime: GatewayRuntime,
  request: GenerateRequest,
  emit?: Emit,
): Promise<GenerateResult> {
  const deployments = runtime.registry.deployments();
  if (deployments.length === 0) throw notConfiguredError();
  const signal = request.signal ?? new AbortController().signal;
  if (signal.aborted) throw cancelled();
  const scope = await runtime.scopes.get(request.context);
  const inputTokens = estimateInputTokens(request);
  const chosen = route({
    deployments,
    request,
    inputTokens,
    isConfidential: scope.isConfidential,
    breakerState: (endpoint) => runtime.breaker(endpoint).state(),
    health: (id) => runtime.health.get(id),
    random: runtime.random,
    knownModel: (id) => runtime.registry.get(id),
  });
  const state: CallState = {
    runtime,
    request,
    signal,
    emit: emit ? (event) => ((state.hasEmitted = true), emit(event)) : undefined,
    routeReason: chosen.reason,
    inputTokens,
    attempts: 0,
    hasEmitted: false,
    failures: [],
    refusals: [],
  };
  const useCache = runtime.settings.cache.enabled && isCacheable(request);
  const key = useCache ? cacheKey(request) : null;
  if (key) {
    const hit = await readCache(runtime.db, request.context.orgId, key);
    const deployment = hit && chosen.candidates.find((d) => d.model.id === hit.model);
    if (hit && deployment) return answerFromCache(state, deployment, hit);
  }
  const spent = scope.budgets.length
    ? await loadSpent(runtime.db, request.context.orgId, scope.budgets, new Date(runtime.now()))
    : [];
  for (const deployment of chosen.candidates) {
    const violation = checkBudgets(state, deployment, scope.budgets, spent);
    if (violation) {
      state.refusals.push(violation);
      continue;
    }
    const result = await tryDeployment(state, deployment);
    if (result) {
      if (key) storeInCache(runtime, key, request.context.orgId, result);
      return result;
    }
    if (state.hasEmitted) break;
  }
  throw finalError(state, chosen.candidates[0]!);
}

function checkBudgets(
  state: CallState,
  deployment: Deployment,
  budgets: Parameters<typeof findBudgetViolation>[0]['budgets'],
  spent: Spent[],
): CadreError | null {
  if (budgets.length === 0) return null;
  const { runtime, request } = state;
  return findBudgetViolation({
    budgets,
    spent,
    pending: [...runtime.ledger.pending(), ...runtime.reservations],
    estimate: estimateCall(deployment.model, request, state.inputTokens),
    model: deployment.model.id,
    now: new Date(runtime.now()),
  });
}

/** Attempts one deployment with retries; null when it failed and the next may be tried. */
async function tryDeployment(
  state: CallState,
  deployment: Deployment,
): Promise<GenerateResult | null> {
  const { runtime } = state;
  const { retry } = runtime.settings;
  const breaker = runtime.breaker(deployment.endpoint.name);
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt += 1) {
    if (!breaker.tryAcquire()) {
      state.failures.push({ deployment, failure: breakerOpen(deployment) });
      return null;
    }
    const outcome = await attemptOnce(state, deployment);
    if ('result' in outcome) return outcome.result;
    const { failure } = outcome;
    if (failure.kind === 'cancelled') throw cancelled();
    if (state.hasEmitted || failure.kind === 'fatal' || attempt === retry.maxAttempts) {
      return null;
    }
    const delay = backoffDelay({
      attempt,
      ...retry,
      random: runtime.random,
      retryAfterMs: failure.retryAfterMs,
    });
    // A provider asking for a longer wait than our cap is better skipped for the next model.
    if (delay > retry.maxDelayMs) return null;
    try {
      await runtime.sleep(delay, state.signal);
    } catch {
      throw cancelled();
    }
  }
  return null;
}

async function attemptOnce(
  state: CallState,
  deployment: Deployment,
): Promise<{ result: GenerateResult } | { failure: Failure }> {
  const { runtime, request } = state;
  const estimate = estimateCall(deployment.model, request, state.inputTokens);
  const startedAt = runtime.now();
  const reservation = {
    ...ledgerEntry(request.context, deployment, { status: 'ok', createdAt: new Date(startedAt) }),
    costUsd: estimate.costUsd,
    inputTokens: estimate.inputTokens,
    outputTokens: estimate.outputTokens,
  };
  runtime.reservations.add(reservation);
  runtime.health.start(deployment.id);
  state.attempts += 1;
  try {
    const output = await runAttempt({
      deployment,
      request,
      signal: state.signal,
      timeoutMs: runtime.settings.timeoutMs,
      stallTimeoutMs: runtime.settings.stallTimeoutMs,
      emit: state.emit,
    });
    const result = succeed(state, deployment, output, runtime.now() - startedAt);
    return { result };
  } catch (error) {
    const failure = classifyFailure(error, state.signal.aborted);
    fail(state, deployment, failure, runtime.now() - startedAt);
    return { failure };
  } finally {
    runtime.reservations.delete(reservation);
  }
}

function succeed(
  state: CallState,
  deployment: Deployment,
  output: AttemptOutput,
  latencyMs: number,
): GenerateResult {
  const { runtime, request } = state;
  runtime.breaker(deployment.endpoint.name).onSuccess();
  runtime.health.finish(deployment.id, { latencyMs, isError: false });
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
  runtime.ledger.record(
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

function fail(state: CallState, deployment: Deployment, failure: Failure, latencyMs: number) {
  const { runtime, request } = state;
  const breaker = runtime.breaker(deployment.endpoint.name);
  const isCallerMistake =
    failure.status !== undefined && failure.status < 500 && ![408, 429].includes(failure.status);
  if (failure.kind === 'cancelled')
    runtime.health.finish(deployment.id, { latencyMs: 0, isError: false });
  else runtime.health.finish(deployment.id, { latencyMs, isError: true });
  if (failure.kind !== 'cancelled' && !isCallerMistake) breaker.onFailure();
  else breaker.onSuccess();
  state.failures.push({ deployment, failure });
  const status = failure.kind === 'cancelled' ? 'cancelled' : 'error';
  runtime.ledger.record(
    ledgerEntry(request.context, deployment, {
      latencyMs,
      status,
      errorCode: failure.code,
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
      taskId: request.context.taskId,
    },
    'model call failed',
  );
}

function attemptReason(state: CallState, deployment: Deployment): string {
  const earlier = state.failures.map((entry) => `${entry.deployment.id}: ${entry.failure.code}`);
  return earlier.length
    ? `${state.routeReason}; attempt ${state.attempts} on ${deployment.id} after ${earlier.join(', ')}`
    : state.routeReason;
}

function answerFromCache(
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

function storeInCache(runtime: GatewayRuntime, key: string, orgId: string, result: GenerateResult) {
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

function finalError(state: CallState, first: Deployment): CadreError {
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
  if (codes.size === 1 && only instanceof CadreError) return only;
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

function breakerOpen(deployment: Deployment): Failure {
  const error = new CadreError(
    'LLM_PROVIDER_UNAVAILABLE',
    `The circuit breaker of ${deployment.endpoint.name} is open after repeated failures; retry in a moment.`,
  );
  return { kind: 'fatal', code: 'LLM_PROVIDER_UNAVAILABLE', message: error.message, error };
}

function cancelled(): CadreError {
  return new CadreError('LLM_CANCELLED', 'The model call was cancelled by its caller.');
}
