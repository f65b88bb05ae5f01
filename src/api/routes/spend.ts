// GET /api/spend: the organization's model spend per day, model, project or task.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Gateway } from '../../llm/index.js';
import { principalOf } from '../auth-hook.js';
import { SpendQuery, SpendReport } from '../schemas.js';

export const spendRoutes: FastifyPluginAsyncZod<{ gateway: Gateway }> = async (
  app,
  { gateway },
) => {
  app.get(
    '/api/spend',
    {
      config: { permission: 'spend:read' },
      schema: { tags: ['spend'], querystring: SpendQuery, response: { 200: SpendReport } },
    },
    async (request) => {
      const { groupBy, from, to, projectId, taskId } = request.query;
      const items = await gateway.spend({
        orgId: principalOf(request).orgId,
        groupBy,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        projectId,
        taskId,
      });
      const totalUsd = items.reduce((sum, item) => sum + item.costUsd, 0);
      return { groupBy, items, totalUsd };
    },
  );
};
