// The HTTP contract of the model registry and the providers that serve it, never with a key.
// Pure zod: the web app bundles it, so it takes the config's enums from their file.
import { z } from 'zod';
import { EndpointKind, ModelTier, PrivacyClass } from '../../config/llm.js';
import { Timestamp } from './primitives.js';

export const BreakerState = z.enum(['closed', 'open', 'half-open']);
export type BreakerState = z.infer<typeof BreakerState>;

export const Model = z.object({
  id: z.string(),
  endpoint: z.string(),
  providerModelId: z.string(),
  tier: ModelTier,
  contextWindow: z.number().int(),
  maxOutputTokens: z.number().int(),
  capabilities: z.object({
    tools: z.boolean(),
    vision: z.boolean(),
    structuredOutput: z.boolean(),
    embeddings: z.boolean(),
  }),
  /** USD per million tokens. */
  prices: z.object({ input: z.number(), output: z.number(), cachedInput: z.number() }),
  /** False when the prices are 0 only because the server states none (a remote server's model). */
  isPriceKnown: z.boolean(),
  privacy: PrivacyClass,
  isAvailable: z.boolean(),
});
export type Model = z.infer<typeof Model>;

export const ModelList = z.object({
  items: z.array(Model),
  isConfigured: z.boolean(),
  /** How to add a model, when none is configured. */
  setupGuidance: z.string().nullable(),
  /** Each provider endpoint's circuit breaker, by endpoint name. */
  breakers: z.record(z.string(), BreakerState),
});
export type ModelList = z.infer<typeof ModelList>;

export const ModelListQuery = z.object({
  /** Ask the servers models are discovered on for their lists again before answering. */
  refresh: z.enum(['true', 'false']).optional(),
});
export type ModelListQuery = z.infer<typeof ModelListQuery>;

/** What the server behind a discovered endpoint answered to GET /models. */
export const ProviderDiscovery = z.object({
  /** The URL asked, without credentials. */
  url: z.string(),
  state: z.enum(['pending', 'ok', 'failed']),
  modelCount: z.number().int(),
  /** The server's own error, or the network failure; null when it answered. */
  error: z.string().nullable(),
  checkedAt: Timestamp.nullable(),
});
export type ProviderDiscovery = z.infer<typeof ProviderDiscovery>;

/** The last failed call of the organization to a provider, in the provider's own words. */
export const ProviderLastError = z.object({
  model: z.string(),
  /** HTTP_404, NETWORK, LLM_TIMEOUT… */
  code: z.string(),
  message: z.string(),
  at: Timestamp,
});
export type ProviderLastError = z.infer<typeof ProviderLastError>;

/** The caller's organization's model calls to one provider in the last hour. */
export const ProviderCalls = z.object({
  /** Calls that reached the provider: cache hits and budget refusals aside. */
  calls: z.number().int(),
  errors: z.number().int(),
  /** errors / calls; null without calls. */
  errorRate: z.number().nullable(),
  /** Latency of the successful calls; null without any. */
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
});
export type ProviderCalls = z.infer<typeof ProviderCalls>;

/** A configured model provider (an endpoint of the gateway), never with its key. */
export const Provider = z.object({
  /** The endpoint's name, which models refer to: `anthropic`, `ollama`, a configured one… */
  name: z.string(),
  /** The API it speaks; `plugin` for a provider given in code. */
  kind: z.enum([...EndpointKind.options, 'plugin']),
  /** Scheme, host and path only: credentials and query are left out. */
  baseUrl: z.string().nullable(),
  hasApiKey: z.boolean(),
  privacy: PrivacyClass,
  /** The available models it serves. */
  models: z.array(z.string()),
  /** This API node's circuit breaker for it. */
  breaker: BreakerState,
  lastHour: ProviderCalls,
  /** Its model list, when models are discovered on its server; null otherwise. */
  discovery: ProviderDiscovery.nullable(),
  /** The organization's last failed call to it in the last 7 days; null without one. */
  lastError: ProviderLastError.nullable(),
});
export type Provider = z.infer<typeof Provider>;

export const ProviderList = z.object({ items: z.array(Provider) });
export type ProviderList = z.infer<typeof ProviderList>;
