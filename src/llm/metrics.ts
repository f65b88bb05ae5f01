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
  breaker: Gauge<'endpoint' | 'deployment'>;
  cacheHits: Counter<'model'>;
}

const breakerValue: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The numeric gauge value of a breaker state (0 closed, 1 half-open, 2 open). */
export function breakerGaugeValue(state: BreakerState): number {
  return breakerValue[state];
}

/** Registers the gateway's metrics on `registry` (reusing them when already there). */
export function createLlmMetrics(registry: Registry): LlmMetrics {
  const registers = [registry];
  const counter = <Label extends string>(name: string, help: string, labelNames: Label[]) =>
    (registry.getSingleMetric(name) as Counter<Label> | undefined) ??
    new Counter({ name, help, labelNames, registers });
  const usage: Array<'provider' | 'model'> = ['provider', 'model'];
  return {
    calls: counter(
      'cadre_llm_calls_total',
      'Model calls (attempts) by provider, model and status.',
      [...usage, 'status'],
    ),
    tokens: counter(
      'cadre_llm_tokens_total',
      'Tokens by provider, model and kind (input, output, cached).',
      [...usage, 'kind'],
    ),
    cost: counter('cadre_llm_cost_usd_total', 'Cost in USD by provider and model.', usage),
    errors: counter(
      'cadre_llm_errors_total',
      'Failed model calls by provider, model and error code.',
      [...usage, 'code'],
    ),
    cacheHits: counter(
      'cadre_llm_cache_hits_total',
      'Calls answered from the response cache, by model.',
      ['model'],
    ),
    latency:
      (registry.getSingleMetric('cadre_llm_call_duration_seconds') as
        LlmMetrics['latency'] | undefined) ??
      new Histogram({
        name: 'cadre_llm_call_duration_seconds',
        help: 'Model call latency by provider, model and status.',
        labelNames: [...usage, 'status'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
        registers,
      }),
    breaker:
      (registry.getSingleMetric('cadre_llm_breaker_state') as LlmMetrics['breaker'] | undefined) ??
      new Gauge({
        name: 'cadre_llm_breaker_state',
        help: 'Circuit breaker state by deployment (model on endpoint): 0 closed, 1 half-open, 2 open.',
        labelNames: ['endpoint', 'deployment'],
        registers,
      }),
  };
}
