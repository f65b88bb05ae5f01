// The built-in model table: common models with their limits, capabilities and list prices
// (USD per million tokens). Configuration overrides any field; nothing here is sent anywhere.
import type { ModelInfo } from './types.js';

const allText = { tools: true, vision: true, structuredOutput: true, embeddings: false };
const textOnly = { tools: true, vision: false, structuredOutput: true, embeddings: false };

/** Common models, keyed by Cadre's id (`<endpoint>/<model>`). */
export const defaultModels: readonly ModelInfo[] = [
  anthropic('claude-opus-4-1', 'best', 32_000, [15, 75, 1.5]),
  anthropic('claude-sonnet-4-5', 'balanced', 64_000, [3, 15, 0.3]),
  anthropic('claude-haiku-4-5', 'fast', 64_000, [1, 5, 0.1]),
  openai('gpt-5', 'best', 400_000, 128_000, [1.25, 10, 0.125]),
  openai('gpt-5-mini', 'balanced', 400_000, 128_000, [0.25, 2, 0.025]),
  openai('gpt-4.1', 'balanced', 1_047_576, 32_768, [2, 8, 0.5]),
  openai('gpt-4o', 'balanced', 128_000, 16_384, [2.5, 10, 1.25]),
  openai('gpt-4o-mini', 'fast', 128_000, 16_384, [0.15, 0.6, 0.075]),
  {
    id: 'openai/text-embedding-3-small',
    endpoint: 'openai',
    providerModelId: 'text-embedding-3-small',
    tier: 'fast',
    contextWindow: 8_191,
    maxOutputTokens: 1,
    capabilities: { tools: false, vision: false, structuredOutput: false, embeddings: true },
    prices: { input: 0.02, output: 0, cachedInput: 0.02 },
    privacy: 'cloud',
  },
  google('gemini-2.5-pro', 'best', [1.25, 10, 0.31]),
  google('gemini-2.5-flash', 'fast', [0.3, 2.5, 0.075]),
  local('ollama', 'llama3.1:8b', 131_072, textOnly),
  local('ollama', 'qwen2.5-coder:7b', 32_768, textOnly),
  local('llama-cpp', 'local', 8_192, {
    tools: false,
    vision: false,
    structuredOutput: false,
    embeddings: false,
  }),
];

type PriceTriple = [input: number, output: number, cachedInput: number];

function anthropic(
  name: string,
  tier: ModelInfo['tier'],
  maxOutputTokens: number,
  [input, output, cachedInput]: PriceTriple,
): ModelInfo {
  return {
    id: `anthropic/${name}`,
    endpoint: 'anthropic',
    providerModelId: name,
    tier,
    contextWindow: 200_000,
    maxOutputTokens,
    capabilities: allText,
    prices: { input, output, cachedInput },
    privacy: 'cloud',
  };
}

function openai(
  name: string,
  tier: ModelInfo['tier'],
  contextWindow: number,
  maxOutputTokens: number,
  [input, output, cachedInput]: PriceTriple,
): ModelInfo {
  return {
    id: `openai/${name}`,
    endpoint: 'openai',
    providerModelId: name,
    tier,
    contextWindow,
    maxOutputTokens,
    capabilities: allText,
    prices: { input, output, cachedInput },
    privacy: 'cloud',
  };
}

function google(
  name: string,
  tier: ModelInfo['tier'],
  [input, output, cachedInput]: PriceTriple,
): ModelInfo {
  return {
    id: `google/${name}`,
    endpoint: 'google',
    providerModelId: name,
    tier,
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    capabilities: allText,
    prices: { input, output, cachedInput },
    privacy: 'cloud',
  };
}

function local(
  endpoint: string,
  name: string,
  contextWindow: number,
  capabilities: ModelInfo['capabilities'],
): ModelInfo {
  return {
    id: `${endpoint}/${name}`,
    endpoint,
    providerModelId: name,
    tier: 'fast',
    contextWindow,
    maxOutputTokens: 8_192,
    capabilities,
    prices: { input: 0, output: 0, cachedInput: 0 },
    privacy: 'local',
  };
}
