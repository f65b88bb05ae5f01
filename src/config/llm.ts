// Settings of the model providers and the LLM gateway (src/llm/): endpoints, the model
// catalog, deployments, and the gateway's reliability limits. It never reaches a provider.
import { z } from 'zod';
import { HttpUrl, type EnvBinding } from './env.js';

const ApiKeyProvider = z.strictObject({
  apiKey: z.string().min(1).optional(),
  baseUrl: HttpUrl.optional(),
});

export const ProvidersConfig = z.strictObject({
  anthropic: ApiKeyProvider.default({}),
  openai: ApiKeyProvider.default({}),
  google: ApiKeyProvider.default({}),
  ollama: z.strictObject({ host: HttpUrl.optional() }).default({}),
});
export type ProvidersConfig = z.infer<typeof ProvidersConfig>;

export const providersEnv: EnvBinding[] = [
  { env: 'ANTHROPIC_API_KEY', path: ['providers', 'anthropic', 'apiKey'] },
  { env: 'ANTHROPIC_BASE_URL', path: ['providers', 'anthropic', 'baseUrl'] },
  { env: 'OPENAI_API_KEY', path: ['providers', 'openai', 'apiKey'] },
  { env: 'OPENAI_BASE_URL', path: ['providers', 'openai', 'baseUrl'] },
  { env: 'GOOGLE_GENERATIVE_AI_API_KEY', path: ['providers', 'google', 'apiKey'] },
  { env: 'OLLAMA_HOST', path: ['providers', 'ollama', 'host'] },
  { env: 'CADRE_LLAMA_CPP_MODEL_PATH', path: ['models', 'localModelPath'] },
];

export const PrivacyClass = z.enum(['local', 'cloud']);
export type PrivacyClass = z.infer<typeof PrivacyClass>;

export const ModelTier = z.enum(['fast', 'balanced', 'best']);
export type ModelTier = z.infer<typeof ModelTier>;

export const EndpointKind = z.enum([
  'anthropic',
  'openai',
  'openai-responses',
  'openai-compatible',
  'google',
  'llama-cpp',
]);
export type EndpointKind = z.infer<typeof EndpointKind>;

/** One place models are served from: a cloud API, a local server or a GGUF file. */
export const EndpointConfig = z
  .strictObject({
    kind: EndpointKind,
    baseUrl: HttpUrl.optional(),
    apiKey: z.string().min(1).optional(),
    /** The GGUF file of a llama-cpp endpoint. */
    modelPath: z.string().min(1).optional(),
    /** Defaults: local for llama-cpp and loopback URLs, cloud otherwise. */
    privacy: PrivacyClass.optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .refine((value) => value.kind !== 'llama-cpp' || value.modelPath, {
    message: 'a llama-cpp endpoint needs modelPath (a .gguf file)',
    path: ['modelPath'],
  })
  .refine((value) => value.kind !== 'openai-compatible' || value.baseUrl, {
    message: 'an openai-compatible endpoint needs baseUrl',
    path: ['baseUrl'],
  });
export type EndpointConfig = z.infer<typeof EndpointConfig>;

const PerMillion = z.number().min(0);

/** A catalog entry; every field but the id may be left to the built-in table. */
export const ModelEntryConfig = z.strictObject({
  id: z.string().min(1),
  /** The endpoint that serves it by default (a name under models.endpoints or a built-in). */
  endpoint: z.string().min(1).optional(),
  /** The model's name at the provider when it differs from the id. */
  providerModelId: z.string().min(1).optional(),
  tier: ModelTier.optional(),
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  capabilities: z
    .strictObject({
      tools: z.boolean().optional(),
      vision: z.boolean().optional(),
      structuredOutput: z.boolean().optional(),
      embeddings: z.boolean().optional(),
    })
    .optional(),
  prices: z
    .strictObject({ input: PerMillion, output: PerMillion, cachedInput: PerMillion.optional() })
    .optional(),
  privacy: PrivacyClass.optional(),
});
export type ModelEntryConfig = z.infer<typeof ModelEntryConfig>;

/** One more place that serves a catalog model, for load balancing and fallback. */
export const DeploymentConfig = z.strictObject({
  model: z.string().min(1),
  endpoint: z.string().min(1),
  providerModelId: z.string().min(1).optional(),
  weight: z.number().positive().default(1),
});
export type DeploymentConfig = z.infer<typeof DeploymentConfig>;

export const ModelsConfig = z.strictObject({
  endpoints: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), EndpointConfig).default({}),
  catalog: z.array(ModelEntryConfig).default([]),
  deployments: z.array(DeploymentConfig).default([]),
  /** A GGUF file served in-process through node-llama-cpp (an optional dependency). */
  localModelPath: z.string().min(1).optional(),
  /** When set, only these model ids are offered. */
  enabled: z.array(z.string().min(1)).optional(),
  timeoutMs: z.number().int().positive().default(120_000),
  /**
   * Asking an OpenAI-compatible server behind OPENAI_BASE_URL which models it serves (when no
   * model is configured for it): how long one request may take, and how often the list is
   * asked again (0: only at start, on a refresh and when a model is not found).
   */
  discovery: z
    .strictObject({
      timeoutMs: z.number().int().positive().default(10_000),
      refreshMs: z.number().int().min(0).default(300_000),
    })
    .default({ timeoutMs: 10_000, refreshMs: 300_000 }),
  /**
   * How long a call's scope (project confidentiality, budgets) may be served from memory. A
   * change drops it at once through Postgres notifications; 0 reads the database every call.
   */
  scopeCacheTtlMs: z.number().int().min(0).default(60_000),
  /** A stream silent for this long is abandoned as stalled. */
  stallTimeoutMs: z.number().int().positive().default(30_000),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(10).default(3),
      baseDelayMs: z.number().int().min(0).default(500),
      maxDelayMs: z.number().int().min(0).default(20_000),
    })
    .default({ maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 20_000 }),
  /** One breaker per deployment (a model on one endpoint). */
  breaker: z
    .strictObject({
      failureThreshold: z.number().int().min(1).default(5),
      cooldownMs: z.number().int().min(0).default(30_000),
      /**
       * How long one call may wait, in all, for an open breaker to let a probe through when
       * every eligible deployment's breaker is open; 0 fails such a call at once.
       */
      maxWaitMs: z.number().int().min(0).default(60_000),
    })
    .default({ failureThreshold: 5, cooldownMs: 30_000, maxWaitMs: 60_000 }),
  cache: z
    .strictObject({
      enabled: z.boolean().default(true),
      ttlSeconds: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3600),
    })
    .default({ enabled: true, ttlSeconds: 7 * 24 * 3600 }),
});
export type ModelsConfig = z.infer<typeof ModelsConfig>;
