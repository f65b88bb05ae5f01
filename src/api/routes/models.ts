// GET /api/models: the model registry, what is available here, and the providers' breakers.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Gateway } from '../../llm/index.js';
import { ModelList } from '../schemas.js';

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
