// The model registry: the built-in table, models added by plugins or discovered on a server,
// and the configuration's overrides, with the deployments that serve each model. It never
// contacts a provider itself.
import type { Config, ModelEntryConfig } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { defaultModels } from './default-models.js';
import type { Endpoint } from './providers.js';
import type { ModelInfo } from './types.js';

/** One place a model is served: the unit the router balances and the breaker guards. */
export interface Deployment {
  /** `<model id>@<endpoint>`, unique. */
  id: string;
  model: ModelInfo;
  endpoint: Endpoint;
  providerModelId: string;
  weight: number;
}

/** A registry entry with whether any configured endpoint serves it. */
export interface ListedModel extends ModelInfo {
  isAvailable: boolean;
  /** False when its prices are the 0 of a server that states none, not a known price. */
  isPriceKnown: boolean;
}

export interface ModelRegistry {
  /** Every known model, available or not. */
  list(): ListedModel[];
  get(id: string): ModelInfo | undefined;
  /** The deployments of available models. */
  deployments(): readonly Deployment[];
}

const builtIn = new Map(defaultModels.map((model) => [model.id, model]));

/**
 * Builds the registry from defaults, plugin models, discovered models and the configuration.
 * An endpoint at a custom URL serves what it says it serves, never the built-in table's models
 * for its name (a vLLM behind OPENAI_BASE_URL has no gpt-5); a catalog entry still can name one.
 */
export function createModelRegistry(
  config: Config,
  endpoints: ReadonlyMap<string, Endpoint>,
  pluginModels: readonly ModelInfo[] = [],
  discoveredModels: readonly ModelInfo[] = [],
): ModelRegistry {
  const models = new Map<string, ModelInfo>();
  const defaults = defaultModels.filter((model) => !hasCustomUrl(endpoints.get(model.endpoint)));
  for (const model of [...defaults, ...pluginModels, ...discoveredModels]) {
    models.set(model.id, model);
  }
  for (const entry of config.models.catalog) {
    const listed = builtIn.get(entry.id);
    const endpointName =
      entry.endpoint ?? models.get(entry.id)?.endpoint ?? entry.id.split('/')[0]!;
    const isLocal = endpoints.get(endpointName)?.isLocal ?? false;
    // A built-in model named on a local server keeps its limits, not its list price.
    const base =
      models.get(entry.id) ??
      (listed && isLocal ? { ...listed, prices: { input: 0, output: 0, cachedInput: 0 } } : listed);
    const merged = mergeEntry(base, entry, isLocal);
    // A new model without a stated class takes its endpoint's (local for a loopback server).
    const endpointPrivacy = endpoints.get(merged.endpoint)?.privacy ?? 'cloud';
    const isNew = !models.has(entry.id);
    models.set(
      entry.id,
      isNew && !entry.privacy ? { ...merged, privacy: endpointPrivacy } : merged,
    );
  }
  const enabled = config.models.enabled ? new Set(config.models.enabled) : null;
  const deployments: Deployment[] = [];
  for (const model of models.values()) {
    const endpoint = endpoints.get(model.endpoint);
    if (!endpoint || (enabled && !enabled.has(model.id))) continue;
    deployments.push(deploymentOf(model, endpoint, model.providerModelId, 1));
  }
  for (const extra of config.models.deployments) {
    const model = models.get(extra.model);
    const endpoint = endpoints.get(extra.endpoint);
    if (!model) throw unknownModel(extra.model, 'models.deployments');
    if (!endpoint) {
      throw new CadreError(
        'CONFIG_INVALID',
        `models.deployments: endpoint "${extra.endpoint}" of model ${extra.model} is not configured; add it under models.endpoints.`,
      );
    }
    const providerModelId = extra.providerModelId ?? model.providerModelId;
    deployments.push(deploymentOf(model, endpoint, providerModelId, extra.weight));
  }
  const available = new Set(deployments.map((deployment) => deployment.model.id));
  return {
    list: () =>
      [...models.values()].map((model) => ({
        ...model,
        isAvailable: available.has(model.id),
        isPriceKnown: model.isPriceKnown !== false,
      })),
    get: (id) => models.get(id),
    deployments: () => deployments,
  };
}

/** The built-in OpenAI entries are OpenAI's own; a custom URL is some other server. */
function hasCustomUrl(endpoint: Endpoint | undefined): boolean {
  return endpoint?.name === 'openai' && endpoint.baseUrl !== null;
}

function deploymentOf(
  model: ModelInfo,
  endpoint: Endpoint,
  providerModelId: string,
  weight: number,
): Deployment {
  // Privacy is the stricter of the model's and the endpoint's: a local model behind a cloud
  // endpoint sends data to the cloud.
  const privacy = model.privacy === 'local' && endpoint.privacy === 'local' ? 'local' : 'cloud';
  return {
    id: `${model.id}@${endpoint.name}`,
    model: { ...model, privacy },
    endpoint,
    providerModelId,
    weight,
  };
}

function mergeEntry(
  base: ModelInfo | undefined,
  entry: ModelEntryConfig,
  isLocalEndpoint: boolean,
): ModelInfo {
  const endpoint = entry.endpoint ?? base?.endpoint ?? entry.id.split('/')[0]!;
  // Stated prices are known; a new model of a remote server without them is not free, only unpriced.
  const isPriceKnown = entry.prices ? true : base ? base.isPriceKnown !== false : isLocalEndpoint;
  return {
    ...(isPriceKnown ? {} : { isPriceKnown: false }),
    id: entry.id,
    endpoint,
    providerModelId:
      entry.providerModelId ?? base?.providerModelId ?? entry.id.replace(/^[^/]+\//, ''),
    tier: entry.tier ?? base?.tier ?? 'balanced',
    contextWindow: entry.contextWindow ?? base?.contextWindow ?? 8_192,
    maxOutputTokens: entry.maxOutputTokens ?? base?.maxOutputTokens ?? 4_096,
    capabilities: {
      tools: entry.capabilities?.tools ?? base?.capabilities.tools ?? true,
      vision: entry.capabilities?.vision ?? base?.capabilities.vision ?? false,
      structuredOutput:
        entry.capabilities?.structuredOutput ?? base?.capabilities.structuredOutput ?? false,
      embeddings: entry.capabilities?.embeddings ?? base?.capabilities.embeddings ?? false,
    },
    prices: {
      input: entry.prices?.input ?? base?.prices.input ?? 0,
      output: entry.prices?.output ?? base?.prices.output ?? 0,
      cachedInput:
        entry.prices?.cachedInput ?? base?.prices.cachedInput ?? entry.prices?.input ?? 0,
    },
    privacy: entry.privacy ?? base?.privacy ?? 'cloud',
  };
}

/** The error for a model id the registry does not know. */
export function unknownModel(id: string, where = 'policy.model'): CadreError {
  return new CadreError(
    'LLM_UNKNOWN_MODEL',
    `${where}: no model "${id}" in the registry; GET /api/models lists them, and models.catalog adds one.`,
    { details: { model: id } },
  );
}
