// Prometheus metrics of model calls, on the app's own registry: calls, tokens, cost, latency
// and errors by provider and model, and each provider's breaker state. It never logs prompts.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from './circuit-breaker.js';

export interface LlmMetrics {
  calls: Counter<'provider' | 'model' | 'status'>;
  tokens: Counter<'provider' | 'model' | 'kind'>;
  cost: Counter<'provider' | 'model'>;
  latency: Histogram<'provider' | 'model' | 'status'>;
  errors: Counter<'provider' | 'model' | 'code'>;
  breaker: Gauge<'endpoint'>;
  cacheHits: Counter<'model'>;
}

const breakerValue: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The numeric gauge value of a breaker state (0 closed, 1 half-open, 2 open). */
export function breakerGaugeValue(state: BreakerState): number {
  return breakerValue[state];
}

/** Registers the gateway's metrics on `registry` (reusing them when already there). */
export function createLlmMetrics(registry: Registry): LlmMetrics {
  const reuse = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    calls: reuse(
      'cadre_llm_calls_total',
      () =>
        new Counter({
          name: 'cadre_llm_calls_total',
          help: 'Model calls (attempts) by provider, model and status.',
          labelNames: ['provider', 'model', 'status'] as const,
          registers,
        }),
    ),
    tokens: reuse(
      'cadre_llm_tokens_total',
      () =>
        new Counter({
          name: 'cadre_llm_tokens_total',
          help: 'Tokens by provider, model and kind (input, output, cached).',
          labelNames: ['provider', 'model', 'kind'] as const,
          registers,
        }),
    ),
    cost: reuse(
      'cadre_llm_cost_usd_total',
      () =>
        new Counter({
          name: 'cadre_llm_cost_usd_total',
          help: 'Cost in USD by provider and model.',
          labelNames: ['provider', 'model'] as const,
          registers,
        }),
    ),
    latency: reuse(
      'cadre_llm_call_duration_seconds',
      () =>
        new Histogram({
          name: 'cadre_llm_call_duration_seconds',
          help: 'Model call latency by provider, model and status.',
          labelNames: ['provider', 'model', 'status'] as const,
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
          registers,
        }),
    ),
    errors: reuse(
      'cadre_llm_errors_total',
      () =>
        new Counter({
          name: 'cadre_llm_errors_total',
          help: 'Failed model calls by provider, model and error code.',
          labelNames: ['provider', 'model', 'code'] as const,
          registers,
        }),
    ),
    breaker: reuse(
      'cadre_llm_breaker_state',
      () =>
        new Gauge({
          name: 'cadre_llm_breaker_state',
          help: 'Circuit breaker state by provider endpoint: 0 closed, 1 half-open, 2 open.',
          labelNames: ['endpoint'] as const,
          registers,
        }),
    ),
    cacheHits: reuse(
      'cadre_llm_cache_hits_total',
      () =>
        new Counter({
          name: 'cadre_llm_cache_hits_total',
          help: 'Calls answered from the response cache, by model.',
          labelNames: ['model'] as const,
          registers,
        }),
    ),
  };
}
