// GET /api/providers: the model providers the gateway is configured with, for the settings
// page — what each is, whether it has a key, its breaker, the organization's recent calls and
// last error, and what a server whose models are discovered answered. ?refresh=true asks those
// servers again first. It must never answer a key, a header or a URL's credentials.
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config, EndpointConfig } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { createEndpoints, type Gateway } from '../../llm/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import {
  ModelListQuery,
  ProviderList,
  type Provider,
  type ProviderCalls,
  type ProviderLastError,
} from '../schemas.js';

type Settings = Pick<Provider, 'kind' | 'baseUrl' | 'hasApiKey' | 'privacy'>;

export const providerRoutes: FastifyPluginAsyncZod<AppDeps & { gateway: Gateway }> = async (
  app,
  { config, gateway, database: { db } },
) => {
  // The configuration does not change while the app runs.
  const settings = settingsOf(config);
  app.get(
    '/api/providers',
    {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], querystring: ModelListQuery, response: { 200: ProviderList } },
    },
    async (request) => {
      await (request.query.refresh === 'true' ? gateway.refreshModels() : gateway.ready());
      await gateway.flush();
      const { orgId } = principalOf(request);
      const [calls, errors] = await Promise.all([recentCalls(db, orgId), lastErrors(db, orgId)]);
      const models = gateway.listModels();
      const breakers = gateway.breakerStates();
      const discovery = new Map(gateway.discoveryStatus().map((entry) => [entry.endpoint, entry]));
      const items = Object.keys(breakers)
        .sort()
        .map((name): Provider => {
          const served = models.filter((model) => model.endpoint === name);
          const extra = config.models.deployments.filter((entry) => entry.endpoint === name);
          const found = discovery.get(name);
          // A provider given in code (the scripted model) has no settings: its models tell.
          const base: Settings = settings.get(name) ?? {
            kind: 'plugin',
            baseUrl: null,
            hasApiKey: false,
            privacy:
              served.length > 0 && served.every((model) => model.privacy === 'local')
                ? 'local'
                : 'cloud',
          };
          return {
            name,
            ...base,
            models: [
              ...new Set([
                ...served.filter((model) => model.isAvailable).map((model) => model.id),
                ...extra.map((entry) => entry.model),
              ]),
            ],
            breaker: breakers[name]!,
            lastHour: calls.get(name) ?? noCalls,
            discovery: found
              ? {
                  url: found.url,
                  state: found.state,
                  modelCount: found.modelCount,
                  error: found.error,
                  checkedAt: found.checkedAt,
                }
              : null,
            lastError: errors.get(name) ?? null,
          };
        });
      return { items };
    },
  );
};

const noCalls: ProviderCalls = {
  calls: 0,
  errors: 0,
  errorRate: null,
  latencyP50Ms: null,
  latencyP95Ms: null,
};

/**
 * Each configured endpoint's kind and privacy, as the gateway builds them, with its URL and
 * whether a key is set, from the setting that feeds it (a built-in endpoint takes the
 * provider's standard variables, a named one its own entry).
 */
function settingsOf(config: Config): Map<string, Settings> {
  const { anthropic, openai, google, ollama } = config.providers;
  const sources: Record<string, Pick<EndpointConfig, 'baseUrl' | 'apiKey'>> = {
    anthropic,
    openai,
    google,
    ollama: { baseUrl: ollama.host },
    ...config.models.endpoints,
  };
  const result = new Map<string, Settings>();
  for (const [name, endpoint] of createEndpoints(config)) {
    if (endpoint.kind === 'plugin') continue;
    const source = sources[name];
    result.set(name, {
      kind: endpoint.kind,
      baseUrl: source?.baseUrl ? withoutSecrets(source.baseUrl) : null,
      hasApiKey: Boolean(source?.apiKey),
      privacy: endpoint.privacy,
    });
  }
  return result;
}

/** The URL's scheme, host and path: no user, password, query or fragment. */
function withoutSecrets(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

interface ErrorRow extends Record<string, unknown> {
  provider: string;
  model: string;
  error_code: string | null;
  error_message: string | null;
  created_at: string | Date;
}

/** The organization's last failed call to each provider in the last 7 days, from the ledger. */
async function lastErrors(db: Db, orgId: string): Promise<Map<string, ProviderLastError>> {
  const result = await db.execute<ErrorRow>(sql`
    SELECT DISTINCT ON (provider) provider, model, error_code, error_message, created_at
    FROM llm_calls
    WHERE org_id = ${orgId} AND status = 'error' AND created_at >= now() - interval '7 days'
    ORDER BY provider, created_at DESC`);
  return new Map(
    result.rows.map((row) => [
      row.provider,
      {
        model: row.model,
        code: row.error_code ?? 'ERROR',
        // Rows from before provider messages were kept have only their code.
        message: row.error_message ?? row.error_code ?? 'unknown error',
        at: new Date(row.created_at).toISOString(),
      },
    ]),
  );
}

interface CallsRow extends Record<string, unknown> {
  provider: string;
  calls: string;
  errors: string;
  p50: number | null;
  p95: number | null;
}

/** The organization's calls per provider in the last hour, from the ledger. */
async function recentCalls(db: Db, orgId: string): Promise<Map<string, ProviderCalls>> {
  const result = await db.execute<CallsRow>(sql`
    SELECT provider, count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors,
      round(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)
        FILTER (WHERE status = 'ok'))::float8 AS p50,
      round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
        FILTER (WHERE status = 'ok'))::float8 AS p95
    FROM llm_calls
    WHERE org_id = ${orgId} AND created_at >= now() - interval '1 hour'
      AND NOT is_cache_hit AND status IN ('ok', 'error')
    GROUP BY provider`);
  return new Map(
    result.rows.map((row) => {
      const calls = Number(row.calls);
      const errors = Number(row.errors);
      return [
        row.provider,
        {
          calls,
          errors,
          errorRate: calls > 0 ? errors / calls : null,
          latencyP50Ms: row.p50,
          latencyP95Ms: row.p95,
        },
      ];
    }),
  );
}
