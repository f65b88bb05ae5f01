// The LLM gateway: the one door through which Cadre reaches any model. It wires providers,
// registry, router, ledger, budgets, cache and metrics; it never imports the orchestrator.
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../observability/index.js';
import type { Budget, BudgetInput } from './budgets.js';
import { deleteBudget, listBudgets, setBudget } from './budget-store.js';
import { runCall } from './call.js';
import type { BreakerState } from './circuit-breaker.js';
import { createModelDiscovery, type DiscoveryStatus } from './discovery-state.js';
import { createEventQueue } from './event-queue.js';
import { askExperts, type ExpertsRequest, type ExpertsResult } from './experts.js';
import { createHealthTracker } from './health.js';
import { createLedger } from './ledger.js';
import { createLlmMetrics } from './metrics.js';
import { createProviderErrors } from './provider-errors.js';
import { createEndpoints, type Endpoint, type ProviderPlugin } from './providers.js';
import { createModelRegistry, type ListedModel } from './registry.js';
import { createScopeCache } from './scope-cache.js';
import { sleepWithSignal } from './retry.js';
import { createBreakers, routeWith, type GatewayRuntime } from './runtime.js';
import { modelSetupGuidance } from './setup-guidance.js';
import { querySpend, type SpendQuery, type SpendRow } from './spend.js';
import type {
  CallContext,
  GatewayStreamEvent,
  GenerateRequest,
  GenerateResult,
  RoutingPolicy,
} from './types.js';

export interface Gateway {
  /** One model call; resolves with the whole answer. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** One model call as events; the last is `finish`. Failures are thrown by the iterator. */
  stream(request: GenerateRequest): AsyncIterable<GatewayStreamEvent>;
  /** Asks several models the same question and aggregates their answers. */
  askExperts(request: ExpertsRequest): Promise<ExpertsResult>;
  /** Every known model, with whether it is available here. */
  listModels(): ListedModel[];
  /**
   * Asks the servers models are discovered on (OPENAI_BASE_URL alone) for their lists again,
   * and resolves once the registry holds the answer. Never rejects: the status tells.
   */
  refreshModels(): Promise<void>;
  /** Each discovered server's URL, state, model count and last error. */
  discoveryStatus(): DiscoveryStatus[];
  /** Settles once the servers asked for their models at start have answered or failed. */
  ready(): Promise<void>;
  /** The model ids the router would consider for this context and policy, best first. */
  eligibleModels(context: CallContext, policy?: RoutingPolicy): Promise<string[]>;
  isConfigured(): boolean;
  /** How to add a model, or null when one is configured. */
  setupGuidance(): string | null;
  /**
   * Each endpoint's breaker state, summed up from its deployments' breakers: open when all of
   * them are open, half-open when some are not closed, else closed.
   */
  breakerStates(): Record<string, BreakerState>;
  /** Each deployment's own breaker state, by deployment id (`<model>@<endpoint>`). */
  deploymentBreakerStates(): Record<string, BreakerState>;
  listBudgets(orgId: string): Promise<Budget[]>;
  setBudget(orgId: string, input: BudgetInput): Promise<Budget>;
  deleteBudget(orgId: string, id: string): Promise<void>;
  spend(query: SpendQuery): Promise<SpendRow[]>;
  /**
   * Forgets the organization's cached call scopes at once. Postgres notifies every gateway
   * of changes within milliseconds; code that changes a project's confidentiality or a task's
   * budget in this process calls this to make the change hold from the very next call.
   */
  invalidateScope(orgId: string): void;
  /** Waits until every ledger row and cache write is in the database. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateGatewayOptions {
  config: Config;
  db: Db;
  logger: Logger;
  /** The app's Prometheus registry. */
  registry: Registry;
  /** Providers given in code, such as the scripted model from cadre/testing. */
  providers?: readonly ProviderPlugin[];
  now?: () => number;
  random?: () => number;
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Builds a gateway. Nothing is sent to a model until the first call; a server whose models are
 * discovered is asked for its list at once (calls wait for that answer).
 */
export function createGateway({
  config,
  db,
  logger,
  registry,
  providers = [],
  now = Date.now,
  random = Math.random,
  sleep = sleepWithSignal,
}: CreateGatewayOptions): Gateway {
  // The AI SDK's warnings go to our log, not to the console.
  const sdkGlobals = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
  sdkGlobals.AI_SDK_LOG_WARNINGS = (options: {
    warnings: unknown[];
    provider: string;
    model: string;
  }) => logger.debug({ component: 'llm', ...options }, 'model warnings');
  const endpoints = createEndpoints(config, providers);
  const pluginModels = providers.flatMap((p) => p.models ?? []);
  const metrics = createLlmMetrics(registry);
  const runtime: GatewayRuntime = {
    settings: config.models,
    db,
    logger: logger.child({ component: 'llm' }),
    registry: createModelRegistry(config, endpoints, pluginModels),
    discovery: createModelDiscovery({
      endpoints: endpointsToDiscover(config, endpoints),
      timeoutMs: config.models.discovery.timeoutMs,
      logger: logger.child({ component: 'llm' }),
      now,
      onChange: (discovered) => {
        runtime.registry = createModelRegistry(config, endpoints, pluginModels, discovered);
      },
    }),
    ready: Promise.resolve(),
    providerErrors: createProviderErrors(),
    ledger: createLedger({ db, logger }),
    scopes: createScopeCache({ db, logger, now, ttlMs: config.models.scopeCacheTtlMs }),
    health: createHealthTracker(),
    metrics,
    reservations: new Set(),
    background: new Set(),
    ...createBreakers(config.models, metrics, now),
    now,
    random,
    sleep,
  };
  const isDiscovering = runtime.discovery.status().length > 0;
  if (isDiscovering) runtime.ready = runtime.discovery.refresh();
  // The list may change on the server (a model loaded or unloaded): ask again now and then.
  const refresher =
    isDiscovering && config.models.discovery.refreshMs > 0
      ? setInterval(() => void runtime.discovery.refresh(), config.models.discovery.refreshMs)
      : null;
  refresher?.unref();
  const models = () => runtime.registry;
  const flush = async () => {
    await Promise.all([...runtime.background]);
    await runtime.ledger.flush();
  };
  const gateway: Gateway = {
    generate: (request) => runCall(runtime, request),
    stream: (request) => streamCall(runtime, request),
    askExperts: (request) => askExperts(gateway, request),
    listModels: () => models().list(),
    refreshModels: () => runtime.discovery.refresh(),
    discoveryStatus: () => runtime.discovery.status(),
    ready: () => runtime.ready,
    eligibleModels: async (context, policy) => {
      const scope = await runtime.scopes.get(context);
      const chosen = routeWith(runtime, {
        request: { messages: [], context, policy },
        inputTokens: 0,
        isConfidential: scope.isConfidential,
      });
      return [...new Set(chosen.candidates.map((deployment) => deployment.model.id))];
    },
    isConfigured: () => models().deployments().length > 0,
    setupGuidance: () =>
      models().deployments().length > 0 ? null : modelSetupGuidance(runtime.discovery.status()),
    breakerStates: () =>
      Object.fromEntries(
        [...endpoints.keys()].map((name) => [
          name,
          endpointBreakerState(
            models()
              .deployments()
              .filter((deployment) => deployment.endpoint.name === name)
              .map((deployment) => runtime.breaker(deployment).state()),
          ),
        ]),
      ),
    deploymentBreakerStates: () =>
      Object.fromEntries(
        models()
          .deployments()
          .map((deployment) => [deployment.id, runtime.breaker(deployment).state()]),
      ),
    listBudgets: (orgId) => listBudgets(db, orgId),
    setBudget: async (orgId, input) => {
      const budget = await setBudget(db, orgId, input);
      runtime.scopes.invalidate(orgId);
      return budget;
    },
    deleteBudget: async (orgId, id) => {
      await deleteBudget(db, orgId, id);
      runtime.scopes.invalidate(orgId);
    },
    invalidateScope: (orgId) => runtime.scopes.invalidate(orgId),
    spend: async (query) => {
      await flush();
      return querySpend(db, query);
    },
    flush,
    close: async () => {
      if (refresher) clearInterval(refresher);
      await runtime.ready;
      await flush();
      await runtime.scopes.close();
    },
  };
  return gateway;
}

function streamCall(
  runtime: GatewayRuntime,
  request: GenerateRequest,
): AsyncIterable<GatewayStreamEvent> {
  return {
    [Symbol.asyncIterator]: () => {
      // Stopping the iteration early cancels the call.
      const controller = new AbortController();
      const outer = request.signal;
      const onOuterAbort = () => controller.abort(outer?.reason);
      if (outer?.aborted) onOuterAbort();
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      const queue = createEventQueue<GatewayStreamEvent>(() => controller.abort());
      runCall(runtime, { ...request, signal: controller.signal }, queue.push)
        .finally(() => outer?.removeEventListener('abort', onOuterAbort))
        .then(
          (result) => {
            queue.push({ type: 'finish', result });
            queue.end();
          },
          (error: unknown) => queue.fail(error),
        );
      return queue[Symbol.asyncIterator]();
    },
  };
}

/**
 * The endpoints whose models are asked of their server: the `openai` provider at a custom
 * OPENAI_BASE_URL, unless the configuration names models for it (an explicit list wins).
 */
function endpointsToDiscover(config: Config, endpoints: ReadonlyMap<string, Endpoint>): Endpoint[] {
  const openai = endpoints.get('openai');
  if (!openai?.requestServedModels || !config.providers.openai.baseUrl) return [];
  if (config.models.endpoints.openai) return [];
  const isNamed =
    config.models.catalog.some(
      (entry) => (entry.endpoint ?? entry.id.split('/')[0]) === 'openai',
    ) || config.models.deployments.some((entry) => entry.endpoint === 'openai');
  return isNamed ? [] : [openai];
}

/** An endpoint's state from its deployments': open only when none of them may be called. */
function endpointBreakerState(states: readonly BreakerState[]): BreakerState {
  if (states.length > 0 && states.every((state) => state === 'open')) return 'open';
  return states.some((state) => state !== 'closed') ? 'half-open' : 'closed';
}
