// The Fastify app factory. It builds the whole HTTP surface from its dependencies and never
// listens: the CLI calls listen(), tests call inject().
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RouteOptions,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import {
  createAddressThrottle,
  createCredentialCache,
  createSecretBox,
  loadMasterKey,
  type SecretBox,
} from '../auth/index.js';
import type { Bus } from '../bus/index.js';
import { CadreError } from '../errors/index.js';
import { createGateway, type Gateway } from '../llm/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { Workspaces } from '../workspace/index.js';
import { installAuth } from './auth-hook.js';
import { installBrowserSession, sessionCookieName } from './session-cookie.js';
import { handleClientError } from './client-errors.js';
import { handleError, handleNotFound } from './errors.js';
import { installSecurityHeaders } from './security-headers.js';
import { createWorkspaceServices } from './routes/workspace-services.js';
import { authRoutes } from './routes/auth.js';
import { browserSessionRoutes } from './routes/browser-session.js';
import { budgetRoutes } from './routes/budgets.js';
import { expertRoutes } from './routes/experts.js';
import { downloadRoutes } from './routes/downloads.js';
import { gitHttpRoutes } from './routes/git-http.js';
import { healthRoutes } from './routes/health.js';
import { liveRoutes } from './routes/live.js';
import { modelRoutes } from './routes/models.js';
import { projectRoutes } from './routes/projects.js';
import { providerRoutes } from './routes/providers.js';
import { spendRoutes } from './routes/spend.js';
import { summaryRoutes } from './routes/summary.js';
import { roleRoutes } from './routes/roles.js';
import { taskRoutes } from './routes/tasks.js';
import { stepRoutes } from './routes/steps.js';
import { approvalRoutes } from './routes/approvals.js';
import { agentRoutes } from './routes/agents.js';
import { sprintRoutes } from './routes/sprints.js';
import { selectWebSocketProtocol } from './routes/terminals.js';
import { hostSettingsRoutes } from './routes/host-settings.js';
import { webhookRoutes } from './routes/webhooks.js';
import { workspaceRoutes } from './routes/workspaces.js';

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  metrics: Metrics;
  version: string;
  /** The built web app; without it only the API is served. */
  webRoot?: string;
  /** Called for every route as it is registered (tests use it to list them all). */
  onRoute?: (route: RouteOptions) => void;
  /** The LLM gateway; without it the app builds one (and closes it with the app). */
  gateway?: Gateway;
  /** The workspace service the workers use too, so that git work on a project is serialized. */
  workspaces?: Workspaces;
  /** The message bus; cancellations are broadcast on it. */
  bus?: Bus;
  /** Seals and opens stored secrets; without it the app opens the instance's master key itself. */
  secrets?: SecretBox;
  /** The clock of sign-in backoff and credential throttling (tests move it on). */
  now?: () => Date;
}

/** What a route that opens stored secrets is registered with. */
export type SecretDeps = AppDeps & { secrets: SecretBox };

const requestIdPattern = /^[\w.-]{1,64}$/;

/** Builds the API with every route registered; call `ready()` or `inject()` next. */
export async function buildApp(given: AppDeps): Promise<FastifyInstance> {
  const { dataDir, secrets: secretsConfig } = given.config;
  const deps: SecretDeps = {
    ...given,
    secrets:
      given.secrets ??
      createSecretBox(await loadMasterKey({ dataDir, masterKey: secretsConfig.masterKey })),
  };
  const { headersTimeoutMs, requestTimeoutMs } = deps.config.server;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.server.bodyLimit,
    // A request whose headers or body trickle in is closed with 408: Node checks the clock of
    // every unfinished request at this interval, so the check must be finer than the limits.
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
    },
    clientErrorHandler: handleClientError,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  // Before the auth hook: a refused request still carries the headers and had its cookies read.
  await installSecurityHeaders(app);
  await installBrowserSession(app, { allowedOrigins: deps.config.server.allowedOrigins });
  const now = deps.now ?? (() => new Date());
  installAuth(
    app,
    await createCredentialCache({ database: deps.database }),
    createAddressThrottle({
      maxFailures: deps.config.server.invalidCredentialsPerMinute,
      now: () => now().getTime(),
    }),
  );

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  if (deps.config.server.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      hook: 'preHandler',
      max: deps.config.server.rateLimitPerMinute,
      timeWindow: 60_000,
      // By the matched route, as the auth hook does: "/%61pi/…" is an /api route too.
      allowList: (request) => !(request.routeOptions.url ?? request.url).startsWith('/api/'),
      keyGenerator: (request) => request.principal?.credentialId ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new CadreError(
          'RATE_LIMITED',
          `Rate limit of ${context.max} requests a minute reached; retry in ${Math.ceil(context.ttl / 1000)} s.`,
          {
            details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
          },
        ),
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Cadre API', version: deps.version },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          // Browsers: the cookie set by sign-in, plus the CSRF token on unsafe methods.
          cookie: { type: 'apiKey', in: 'cookie', name: sessionCookieName },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(fastifyWebsocket, {
    options: { maxPayload: 1_048_576, handleProtocols: selectWebSocketProtocol },
  });
  await app.register(healthRoutes, deps);
  await app.register(authRoutes, deps);
  await app.register(browserSessionRoutes, deps);
  const gateway = deps.gateway ?? ownGateway(app, deps);
  // Built once: the workspace routes open terminals and the live stream follows them.
  const services = createWorkspaceServices(app, deps);
  await app.register(projectRoutes, { ...deps, gateway, services });
  await app.register(taskRoutes, deps);
  await app.register(roleRoutes, deps);
  await app.register(liveRoutes, { ...deps, services });
  await app.register(stepRoutes, deps);
  await app.register(approvalRoutes, deps);
  await app.register(agentRoutes, deps);
  await app.register(sprintRoutes, deps);
  await app.register(workspaceRoutes, { ...deps, services });
  await app.register(gitHttpRoutes, { ...deps, services });
  await app.register(downloadRoutes, { ...deps, services });
  await app.register(modelRoutes, { gateway });
  await app.register(providerRoutes, { ...deps, gateway });
  await app.register(spendRoutes, { gateway });
  await app.register(summaryRoutes, { ...deps, gateway });
  await app.register(budgetRoutes, { gateway, database: deps.database });
  await app.register(expertRoutes, { gateway });
  await app.register(webhookRoutes, { ...deps, now });
  await app.register(hostSettingsRoutes, deps);

  if (deps.webRoot && existsSync(join(deps.webRoot, 'index.html'))) {
    await registerWebApp(app, deps.webRoot);
  } else {
    app.setNotFoundHandler(handleNotFound);
  }
  return app;
}

/** A gateway built from the app's own dependencies, flushed when the app closes. */
function ownGateway(app: FastifyInstance, deps: AppDeps): Gateway {
  const gateway = createGateway({
    config: deps.config,
    db: deps.database.db,
    logger: deps.logger,
    registry: deps.metrics.registry,
  });
  app.addHook('onClose', () => gateway.close());
  return gateway;
}

/** Serves the built web app, and its index.html for the app's own client-side routes. */
async function registerWebApp(app: FastifyInstance, webRoot: string) {
  await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: 'index.html' });
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      request.method === 'GET' &&
      !request.url.startsWith('/api/') &&
      !/\.\w+$/.test(request.url.split('?')[0]!);
    return isPage ? reply.sendFile('index.html') : handleNotFound(request, reply);
  });
}
