// /api/budgets: list, set (create or replace) and delete the organization's model budgets.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { recordAudit } from '../../auth/index.js';
import type { Database } from '../../db/index.js';
import type { Gateway } from '../../llm/index.js';
import { principalOf } from '../auth-hook.js';
import { Budget, BudgetList, BudgetSet, IdParams } from '../schemas.js';

export const budgetRoutes: FastifyPluginAsyncZod<{ gateway: Gateway; database: Database }> = async (
  app,
  { gateway, database: { db } },
) => {
  const tags = ['budgets'];

  app.get(
    '/api/budgets',
    {
      config: { permission: 'spend:read' },
      schema: { tags, response: { 200: BudgetList } },
    },
    async (request) => ({ items: await gateway.listBudgets(principalOf(request).orgId) }),
  );

  app.put(
    '/api/budgets',
    {
      config: { permission: 'budgets:manage' },
      schema: { tags, body: BudgetSet, response: { 200: Budget } },
    },
    async (request) => {
      const principal = principalOf(request);
      const { scope, scopeId, period, limitUsd, limitTokens } = request.body;
      const budget = await gateway.setBudget(principal.orgId, {
        scope,
        scopeId: scopeId ?? principal.orgId,
        period,
        limitUsd,
        limitTokens,
      });
      await recordAudit(db, principal, {
        action: 'budget-set',
        targetType: 'budget',
        targetId: budget.id,
        data: { scope, scopeId: budget.scopeId, period, limitUsd, limitTokens },
        requestId: request.id,
      });
      return budget;
    },
  );

  app.delete(
    '/api/budgets/:id',
    { config: { permission: 'budgets:manage' }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      await gateway.deleteBudget(principal.orgId, request.params.id);
      await recordAudit(db, principal, {
        action: 'budget-deleted',
        targetType: 'budget',
        targetId: request.params.id,
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
};
