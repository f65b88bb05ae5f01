// GET /api/models: the model registry, what is available here, and the providers' breakers.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Gateway } from '../../llm/index.js';

export const Model = z.object({
  id: z.string(),
  endpoint: z.string(),
  providerModelId: z.string(),
  tier: z.enum(['fast', 'balanced', 'best']),
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
  privacy: z.enum(['local', 'cloud']),
  isAvailable: z.boolean(),
});

export const ModelList = z.object({
  items: z.array(Model),
  isConfigured: z.boolean(),
  /** How to add a model, when none is configured. */
  setupGuidance: z.string().nullable(),
  breakers: z.record(z.string(), z.enum(['closed', 'open', 'half-open'])),
});

export const modelRoutes: FastifyPluginAsyncZod<{ gateway: Gateway }> = async (
  app,
  { gateway },
) => {
  app.get(
    '/api/models',
    {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], response: { 200: ModelList } },
    },
    async () => ({
      items: gateway.listModels(),
      isConfigured: gateway.isConfigured(),
      setupGuidance: gateway.setupGuidance(),
      breakers: gateway.breakerStates(),
    }),
  );
};
