// The state a gateway shares between calls: settings, stores, health, breakers, metrics, and
// the injected clock, randomness and sleep. Plain data and small helpers; no call logic.
import { randomUUID } from 'node:crypto';
import type { ModelsConfig } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../observability/index.js';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.js';
import type { ModelDiscovery } from './discovery-state.js';
import type { HealthTracker } from './health.js';
import type { Ledger, LedgerEntry } from './ledger.js';
import { breakerGaugeValue, type LlmMetrics } from './metrics.js';
import type { ProviderErrors } from './provider-errors.js';
import type { Deployment, ModelRegistry } from './registry.js';
import { route, type Route } from './router.js';
import type { ScopeCache } from './scope-cache.js';
import type { CallContext, GenerateRequest, GenerateResult } from './types.js';

/** Spend held for a call in flight, so that parallel calls cannot overrun a budget together. */
export type Reservation = Pick<
  LedgerEntry,
  'orgId' | 'projectId' | 'taskId' | 'createdAt' | 'costUsd' | 'inputTokens' | 'outputTokens'
>;

export interface GatewayRuntime {
  settings: ModelsConfig;
  db: Db;
  logger: Logger;
  /** Replaced whenever discovery finds a server's models changed. */
  registry: ModelRegistry;
  discovery: ModelDiscovery;
  /** Settles once the servers asked at start have answered or failed. */
  ready: Promise<void>;
  providerErrors: ProviderErrors;
  ledger: Ledger;
  scopes: ScopeCache;
  health: HealthTracker;
  metrics: LlmMetrics;
  reservations: Set<Reservation>;
  /** Writes that must finish before close() (cache stores). */
  background: Set<Promise<unknown>>;
  /** The breaker of one deployment (a model on one endpoint). */
  breaker(deployment: Pick<Deployment, 'id' | 'endpoint'>): CircuitBreaker;
  /** Every breaker made so far, by deployment id. */
  breakers(): ReadonlyMap<string, CircuitBreaker>;
  now(): number;
  random(): number;
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

export interface RuntimeClock {
  now: () => number;
  random: () => number;
  sleep: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A lazily filled map of breakers, one per deployment, reporting to the breaker gauge: one
 * failing model on an endpoint must not shut out the other models that endpoint serves.
 */
export function createBreakers(
  settings: ModelsConfig,
  metrics: LlmMetrics,
  now: () => number,
): Pick<GatewayRuntime, 'breaker' | 'breakers'> {
  const breakers = new Map<string, CircuitBreaker>();
  return {
    breakers: () => breakers,
    breaker: (deployment) => {
      let breaker = breakers.get(deployment.id);
      if (!breaker) {
        const labels = { endpoint: deployment.endpoint.name, deployment: deployment.id };
        breaker = createCircuitBreaker({
          failureThreshold: settings.breaker.failureThreshold,
          cooldownMs: settings.breaker.cooldownMs,
          now,
          onChange: (state) => metrics.breaker.set(labels, breakerGaugeValue(state)),
        });
        metrics.breaker.set(labels, 0);
        breakers.set(deployment.id, breaker);
      }
      return breaker;
    },
  };
}

/** The ledger row for one attempt, refusal or cache hit. */
export function ledgerEntry(
  context: CallContext,
  deployment: Pick<Deployment, 'endpoint' | 'model'>,
  fields: Partial<LedgerEntry> & Pick<LedgerEntry, 'status' | 'createdAt'>,
): LedgerEntry {
  return {
    id: randomUUID(),
    orgId: context.orgId,
    projectId: context.projectId ?? null,
    taskId: context.taskId ?? null,
    stepId: context.stepId ?? null,
    agentId: context.agentId ?? null,
    provider: deployment.endpoint.name,
    model: deployment.model.id,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costUsd: 0,
    latencyMs: 0,
    errorCode: null,
    errorMessage: null,
    routeReason: null,
    isCacheHit: false,
    ...fields,
  };
}

/** Counts a finished attempt in the Prometheus metrics. */
export function observeCall(
  metrics: LlmMetrics,
  deployment: Deployment,
  outcome: { status: string; latencyMs: number; result?: GenerateResult; errorCode?: string },
) {
  const labels = { provider: deployment.endpoint.name, model: deployment.model.id };
  metrics.calls.inc({ ...labels, status: outcome.status });
  metrics.latency.observe({ ...labels, status: outcome.status }, outcome.latencyMs / 1000);
  if (outcome.errorCode) metrics.errors.inc({ ...labels, code: outcome.errorCode });
  const usage = outcome.result?.usage;
  if (usage) {
    metrics.tokens.inc({ ...labels, kind: 'input' }, usage.inputTokens);
    metrics.tokens.inc({ ...labels, kind: 'output' }, usage.outputTokens);
    metrics.tokens.inc({ ...labels, kind: 'cached' }, usage.cachedTokens);
    metrics.cost.inc(labels, outcome.result!.costUsd);
  }
}

/** Routes a request with the runtime's deployments, breakers and health. */
export function routeWith(
  runtime: GatewayRuntime,
  input: { request: GenerateRequest; inputTokens: number; isConfidential: boolean },
): Route {
  return route({
    ...input,
    deployments: runtime.registry.deployments(),
    breakerState: (deployment) => runtime.breaker(deployment).state(),
    health: (id) => runtime.health.get(id),
    random: runtime.random,
    knownModel: (id) => runtime.registry.get(id),
  });
}
