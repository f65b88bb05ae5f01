// The HTTP contract of the model registry and the providers that serve it, never with a key.
// Pure zod: the web app bundles it, so it takes the config's enums from their file.
import { z } from 'zod';
import { EndpointKind, ModelTier, PrivacyClass } from '../../config/llm.js';

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
});
export type Provider = z.infer<typeof Provider>;

export const ProviderList = z.object({ items: z.array(Provider) });
export type ProviderList = z.infer<typeof ProviderList>;
