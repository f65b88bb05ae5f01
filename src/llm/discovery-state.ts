// What the gateway knows of the servers it discovers models on: their models, and each one's
// status (the URL asked, when, and the error). A failed refresh keeps the models found before,
// so that calls still reach the server and fail with its own error. It never throws.
import type { Logger } from '../observability/index.js';
import { discoverModels } from './discovery.js';
import type { Endpoint } from './providers.js';
import type { ModelInfo } from './types.js';

export interface DiscoveryStatus {
  endpoint: string;
  /** The URL asked, without credentials. */
  url: string;
  state: 'pending' | 'ok' | 'failed';
  /** How many models the server served at the last answer. */
  modelCount: number;
  /** Why the last attempt failed, with the server's own words; null when it answered. */
  error: string | null;
  /** When it was last asked (ISO 8601); null before the first answer or failure. */
  checkedAt: string | null;
}

export interface ModelDiscovery {
  /** Every model found so far, over all the servers. */
  models(): ModelInfo[];
  status(): DiscoveryStatus[];
  /** Asks every server again; overlapping calls share one round. Never rejects. */
  refresh(): Promise<void>;
  /** A refresh, unless one started within `minIntervalMs`: for a model the server lost. */
  refreshIfStale(minIntervalMs: number): Promise<void>;
}

export interface ModelDiscoveryOptions {
  endpoints: readonly Endpoint[];
  timeoutMs: number;
  logger: Logger;
  now: () => number;
  /** Called after each round, with the models found. */
  onChange: (models: ModelInfo[]) => void;
}

/** Discovery over the given endpoints; nothing is asked until the first refresh. */
export function createModelDiscovery({
  endpoints,
  timeoutMs,
  logger,
  now,
  onChange,
}: ModelDiscoveryOptions): ModelDiscovery {
  const found = new Map<string, ModelInfo[]>();
  const statuses = new Map<string, DiscoveryStatus>(
    endpoints.map((endpoint) => [
      endpoint.name,
      {
        endpoint: endpoint.name,
        url: `${(endpoint.baseUrl ?? '').replace(/\/+$/, '')}/models`,
        state: 'pending',
        modelCount: 0,
        error: null,
        checkedAt: null,
      },
    ]),
  );
  let round: Promise<void> | null = null;
  let startedAt = -Infinity;

  const ask = async (endpoint: Endpoint) => {
    const status = statuses.get(endpoint.name)!;
    try {
      const models = await discoverModels(endpoint, { timeoutMs });
      found.set(endpoint.name, models);
      Object.assign(status, { state: 'ok', modelCount: models.length, error: null });
      logger.info({ endpoint: endpoint.name, models: models.length }, 'models discovered');
    } catch (error) {
      const message = endpoint.redact(error instanceof Error ? error.message : String(error));
      Object.assign(status, { state: 'failed', error: message });
      logger.warn(
        { endpoint: endpoint.name, url: status.url, error: message },
        'model discovery failed',
      );
    }
    status.checkedAt = new Date(now()).toISOString();
  };

  const refresh = () => {
    round ??= (async () => {
      startedAt = now();
      try {
        await Promise.all(endpoints.map(ask));
        onChange([...found.values()].flat());
      } finally {
        round = null;
      }
    })();
    return round;
  };

  return {
    models: () => [...found.values()].flat(),
    status: () => [...statuses.values()].map((status) => ({ ...status })),
    refresh,
    refreshIfStale: (minIntervalMs) =>
      round ?? (now() - startedAt >= minIntervalMs ? refresh() : Promise.resolve()),
  };
}
