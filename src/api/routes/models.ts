// GET /api/models: the model registry, what is available here, and the providers' breakers;
// ?refresh=true first asks the servers models are discovered on for their lists again.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Gateway } from '../../llm/index.js';
import { ModelList, ModelListQuery } from '../schemas.js';

export const modelRoutes: FastifyPluginAsyncZod<{ gateway: Gateway }> = async (
  app,
  { gateway },
) => {
  app.get(
    '/api/models',
    {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], querystring: ModelListQuery, response: { 200: ModelList } },
    },
    async (request) => {
      await (request.query.refresh === 'true' ? gateway.refreshModels() : gateway.ready());
      return {
        items: gateway.listModels(),
        isConfigured: gateway.isConfigured(),
        setupGuidance: gateway.setupGuidance(),
        breakers: gateway.breakerStates(),
      };
    },
  );
};
