// Liveness, readiness and metrics: public, cheap, and never touching tenant data.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { createReadiness } from '../readiness.js';
import { ErrorBody, Health, Readiness } from '../schemas.js';

export const healthRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const health = { status: 'ok' as const, version: deps.version };
  const readiness = createReadiness({
    database: deps.database,
    bus: deps.bus,
    redisUrl: deps.config.redis.url,
  });
  app.addHook('onClose', () => readiness.close());

  app.get(
    '/healthz',
    { config: { permission: 'public' }, schema: { tags: ['health'], response: { 200: Health } } },
    async () => health,
  );

  app.get(
    '/readyz',
    {
      config: { permission: 'public' },
      schema: { tags: ['health'], response: { 200: Readiness, 503: ErrorBody } },
    },
    async (request, reply) => {
      const report = await readiness.check();
      if (report.isReady) return { ...health, dependencies: report.dependencies };
      const down = Object.entries(report.dependencies)
        .filter(([, state]) => state.status === 'down')
        .map(([name, state]) => `${name} (${state.reason ?? 'down'})`);
      // Answered here, not thrown: a probe polling an outage must not log an error each time;
      // the connections themselves log when they are lost and when they are back.
      return reply.status(503).send({
        error: {
          code: report.code ?? 'DATABASE_UNAVAILABLE',
          message: `Not ready: ${down.join(', ')} down. Check DATABASE_URL, CADRE_RABBITMQ_URL and CADRE_REDIS_URL, or the embedded server.`,
          details: { dependencies: report.dependencies },
          requestId: request.id,
        },
      });
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
