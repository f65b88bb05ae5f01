// Liveness, readiness and metrics: public, cheap, and never touching tenant data.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'drizzle-orm';
import { CadreError } from '../../errors/index.js';
import type { AppDeps } from '../app.js';
import { Health } from '../schemas.js';

export const healthRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const health = { status: 'ok' as const, version: deps.version };

  app.get(
    '/healthz',
    { config: { permission: 'public' }, schema: { tags: ['health'], response: { 200: Health } } },
    async () => health,
  );

  app.get(
    '/readyz',
    { config: { permission: 'public' }, schema: { tags: ['health'], response: { 200: Health } } },
    async () => {
      try {
        await deps.database.db.execute(sql`SELECT 1`);
      } catch (error) {
        throw new CadreError(
          'DATABASE_UNAVAILABLE',
          'The database does not answer; check DATABASE_URL or the embedded server.',
          {
            cause: error,
          },
        );
      }
      return health;
    },
  );

  app.get(
    '/metrics',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (_request, reply) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  );
};
