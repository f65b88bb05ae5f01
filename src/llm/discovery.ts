// Model discovery: asks an OpenAI-compatible server which models it serves (GET <baseUrl>/models,
// the list vLLM, llama.cpp, LM Studio and Ollama all answer) and turns the answer into registry
// entries. It never invents a price: a local server's models cost 0, another's are "unknown".
import { z } from 'zod';
import { defaultModels } from './default-models.js';
import type { Endpoint } from './providers.js';
import type { ModelInfo } from './types.js';

const Count = z.number().int().positive();
/** A price per token, as OpenRouter states it (a decimal string or a number). */
const TokenPrice = z.union([z.number(), z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/i)]);

/** One entry of the OpenAI list shape, with the context fields some servers add. */
const ServedModel = z.looseObject({
  id: z.string().min(1).max(300),
  max_model_len: Count.optional(), // vLLM
  context_length: Count.optional(), // OpenRouter, some proxies
  meta: z.looseObject({ n_ctx_train: Count.optional() }).optional(), // llama.cpp
  pricing: z.looseObject({ prompt: TokenPrice, completion: TokenPrice }).optional(),
});

const ServedModelList = z.looseObject({ data: z.array(z.unknown()) });

/** A server's answer could not be used: what it said, for the provider's status. */
export class DiscoveryFailure extends Error {}

/** The most models taken from one server's list. */
const maxServedModels = 500;

/** The context window used when a server does not state one: small enough to be safe. */
export const defaultContextWindow = 8_192;

/** GETs the endpoint's model list and returns its models as registry entries. */
export async function discoverModels(
  endpoint: Endpoint,
  { timeoutMs }: { timeoutMs: number },
): Promise<ModelInfo[]> {
  const request = endpoint.requestServedModels;
  if (!request) throw new DiscoveryFailure(`${endpoint.name} does not serve a model list`);
  let response: Response;
  try {
    response = await request(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    throw new DiscoveryFailure(networkMessage(error, timeoutMs));
  }
  const body = await response.text().catch(() => '');
  if (!response.ok) {
    throw new DiscoveryFailure(`HTTP ${response.status}${serverMessage(body)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new DiscoveryFailure('the answer is not JSON (expected {"data": [{"id": …}]})');
  }
  const list = ServedModelList.safeParse(parsed);
  if (!list.success) {
    throw new DiscoveryFailure('the answer has no "data" list (expected {"data": [{"id": …}]})');
  }
  const models: ModelInfo[] = [];
  // A server's list is its own say: a hostile or broken one must not flood the registry.
  for (const entry of list.data.data.slice(0, maxServedModels)) {
    const served = ServedModel.safeParse(entry);
    // One odd entry must not hide the others.
    if (served.success) models.push(modelOf(endpoint, served.data));
  }
  return models;
}

const builtIn = new Map(
  defaultModels
    .filter((model) => model.endpoint === 'openai')
    .map((model) => [model.providerModelId, model]),
);

/** A served model as a registry entry: what the server says, the built-in table, safe defaults. */
function modelOf(endpoint: Endpoint, served: z.infer<typeof ServedModel>): ModelInfo {
  // A proxy in front of OpenAI may serve models the built-in table knows.
  const known = builtIn.get(served.id);
  const isEmbedding = !known && /embed/i.test(served.id);
  const contextWindow =
    served.max_model_len ??
    served.context_length ??
    served.meta?.n_ctx_train ??
    known?.contextWindow ??
    defaultContextWindow;
  const statedPrices = served.pricing && {
    input: Number(served.pricing.prompt) * 1_000_000,
    output: Number(served.pricing.completion) * 1_000_000,
    cachedInput: Number(served.pricing.prompt) * 1_000_000,
  };
  const prices = endpoint.isLocal ? undefined : (statedPrices ?? known?.prices);
  return {
    id: `${endpoint.name}/${served.id}`,
    endpoint: endpoint.name,
    providerModelId: served.id,
    tier: known?.tier ?? (isEmbedding ? 'fast' : 'balanced'),
    contextWindow,
    maxOutputTokens: Math.min(
      known?.maxOutputTokens ?? 8_192,
      Math.max(256, Math.floor(contextWindow / 2)),
    ),
    capabilities: known?.capabilities ?? {
      tools: !isEmbedding,
      vision: false,
      structuredOutput: !isEmbedding,
      embeddings: isEmbedding,
    },
    prices: prices ?? { input: 0, output: 0, cachedInput: 0 },
    ...(!endpoint.isLocal && !prices ? { isPriceKnown: false } : {}),
    privacy: endpoint.privacy,
  };
}

function networkMessage(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { message?: unknown } | undefined) : null;
  const detail = typeof cause?.message === 'string' ? cause.message : String(error);
  return detail.replace(/^TypeError: /, '');
}

/** ": <the server's own message>" from an OpenAI-style error body, or its first line. */
function serverMessage(body: string): string {
  let message = body.split('\n')[0]!.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    const error = parsed.error;
    if (typeof error === 'string') message = error;
    else if (typeof error?.message === 'string') message = error.message;
  } catch {
    // Not JSON: the first line says enough.
  }
  return message ? `: ${message.slice(0, 300)}` : '';
}
