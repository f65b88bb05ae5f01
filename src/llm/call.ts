// One gateway call from start to end: scope, route, cache, budgets, then attempts with
// retries, breakers and fallback, each recorded in the ledger. Never sends a refused call.
// When every breaker is open it waits for the next probe instead of failing at once.
import { CadreError } from '../errors/index.js';
import { runAttempt } from './attempt.js';
import { isEveryBreakerOpen, isRefusedByBreakers, waitForProbe } from './breaker-wait.js';
import { findBudgetViolation, loadSpent, type Spent } from './budgets.js';
import { cacheKey, isCacheable, readCache } from './cache.js';
import {
  answerFromCache,
  breakerOpen,
  cancelled,
  fail,
  finalError,
  storeInCache,
  succeed,
  type CallState,
  type Emit,
} from './call-outcomes.js';
import { estimateCall, estimateInputTokens } from './cost.js';
import { namingProviderError } from './provider-errors.js';
import type { Deployment } from './registry.js';
import { backoffDelay, classifyFailure, type Failure } from './retry.js';
import type { Route } from './router.js';
import { ledgerEntry, routeWith, type GatewayRuntime } from './runtime.js';
import { discoveryFailedError, notConfiguredError } from './setup-guidance.js';
import type { GenerateRequest, GenerateResult } from './types.js';

/**
 * Runs one call; `emit` receives stream events when the caller streams. When every eligible
 * deployment's breaker is open it waits for the next probe (up to breaker.maxWaitMs).
 */
export async function runCall(
  runtime: GatewayRuntime,
  request: GenerateRequest,
  emit?: Emit,
): Promise<GenerateResult> {
  await runtime.ready;
  if (runtime.registry.deployments().length === 0) await refreshOrFail(runtime);
  const signal = request.signal ?? new AbortController().signal;
  if (signal.aborted) throw cancelled();
  const scope = await runtime.scopes.get(request.context);
  const inputTokens = estimateInputTokens(request);
  const budget = { remainingMs: runtime.settings.breaker.maxWaitMs };
  for (;;) {
    let chosen: Route;
    try {
      chosen = routeWith(runtime, { request, inputTokens, isConfidential: scope.isConfidential });
    } catch (error) {
      if (isEveryBreakerOpen(error) && (await waitForProbe(runtime, budget, signal))) continue;
      throw withProviderError(runtime, error);
    }
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
    const result = await tryCandidates(state, chosen, scope.budgets);
    if (result) return result;
    if (isRefusedByBreakers(state) && (await waitForProbe(runtime, budget, signal))) continue;
    throw withProviderError(runtime, finalError(state, chosen.candidates[0]!));
  }
}

/**
 * With no model in the registry: when models are discovered on a server, asks it again (at
 * most every few seconds) and fails with its URL and error if it still lists none.
 */
async function refreshOrFail(runtime: GatewayRuntime): Promise<void> {
  if (runtime.discovery.status().length === 0) throw notConfiguredError();
  await runtime.discovery.refreshIfStale(discoveryRetryMs);
  if (runtime.registry.deployments().length === 0) {
    throw discoveryFailedError(runtime.discovery.status());
  }
}

const discoveryRetryMs = 5_000;

/** Refusals a provider's failure may have caused: they name its last error. */
const refusalCodes = new Set([
  'LLM_PROVIDER_UNAVAILABLE',
  'LLM_NO_ELIGIBLE_MODEL',
  'LLM_UNKNOWN_MODEL',
  'LLM_BUDGET_EXCEEDED',
]);

function withProviderError(runtime: GatewayRuntime, error: unknown): unknown {
  if (!(error instanceof CadreError) || !refusalCodes.has(error.code)) return error;
  return namingProviderError(error, runtime.providerErrors.latest());
}

/** The cache, then each candidate within budget in turn; null when none answered. */
async function tryCandidates(
  state: CallState,
  chosen: Route,
  budgets: Parameters<typeof findBudgetViolation>[0]['budgets'],
): Promise<GenerateResult | null> {
  const { runtime, request } = state;
  const useCache = runtime.settings.cache.enabled && isCacheable(request);
  const key = useCache ? cacheKey(request) : null;
  if (key) {
    const hit = await readCache(runtime.db, request.context.orgId, key);
    const deployment = hit && chosen.candidates.find((d) => d.model.id === hit.model);
    if (hit && deployment) return answerFromCache(state, deployment, hit);
  }
  const spent = budgets.length
    ? await loadSpent(runtime.db, request.context.orgId, budgets, new Date(runtime.now()))
    : [];
  for (const deployment of chosen.candidates) {
    const violation = checkBudgets(state, deployment, budgets, spent);
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
  return null;
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
  const breaker = runtime.breaker(deployment);
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
    const result = await succeed(state, deployment, output, runtime.now() - startedAt);
    return { result };
  } catch (error) {
    const failure = classifyFailure(error, state.signal.aborted);
    await fail(state, deployment, failure, runtime.now() - startedAt);
    return { failure };
  } finally {
    runtime.reservations.delete(reservation);
  }
}
