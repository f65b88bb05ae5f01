// Endpoints: where models are served from, built from the configuration (or given in code, as
// the scripted test model is), each turning a model name into an AI SDK LanguageModelV3.
// It must never invent an answer: every model it returns speaks to a real server or file.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { Config, EndpointConfig, PrivacyClass } from '../config/index.js';
import { createLlamaCppModel } from './llama-cpp.js';
import { isLocalAddress, withoutCredentials } from './server-url.js';
import type { ModelInfo } from './types.js';

/** A provider given in code (the scripted model, a user's own adapter). */
export interface ProviderPlugin {
  /** The endpoint name models refer to. */
  name: string;
  privacy: PrivacyClass;
  languageModel(providerModelId: string): LanguageModelV3;
  /** Models this provider adds to the registry. */
  models?: readonly ModelInfo[];
}

/** A configured endpoint, ready to hand out models. */
export interface Endpoint {
  name: string;
  kind: EndpointConfig['kind'] | 'plugin';
  privacy: PrivacyClass;
  /** Its server's scheme, host and path, never with credentials; null for a provider default. */
  baseUrl: string | null;
  /** Whether its server is on this machine or a private network (its models cost nothing). */
  isLocal: boolean;
  languageModel(providerModelId: string): LanguageModelV3;
  /** GET <baseUrl>/models with the endpoint's key, for the kinds that serve an OpenAI list. */
  requestServedModels?: (signal: AbortSignal) => Promise<Response>;
  /** The text with this endpoint's key and header values hidden: a server may echo them. */
  redact(text: string): string;
}

/** Every endpoint the configuration and the plugins define, by name. */
export function createEndpoints(
  config: Config,
  plugins: readonly ProviderPlugin[] = [],
): Map<string, Endpoint> {
  const endpoints = new Map<string, Endpoint>();
  for (const [name, settings] of Object.entries(builtInEndpoints(config))) {
    endpoints.set(name, createEndpoint(name, settings));
  }
  for (const [name, settings] of Object.entries(config.models.endpoints)) {
    endpoints.set(name, createEndpoint(name, settings));
  }
  for (const plugin of plugins) {
    endpoints.set(plugin.name, {
      name: plugin.name,
      kind: 'plugin',
      privacy: plugin.privacy,
      baseUrl: null,
      isLocal: plugin.privacy === 'local',
      languageModel: (id) => plugin.languageModel(id),
      redact: (text) => text,
    });
  }
  return endpoints;
}

/** The endpoints implied by the providers' standard environment variables. */
function builtInEndpoints(config: Config): Record<string, EndpointConfig> {
  const { anthropic, openai, google, ollama } = config.providers;
  const result: Record<string, EndpointConfig> = {};
  if (anthropic.apiKey) result.anthropic = { kind: 'anthropic', ...anthropic };
  if (openai.apiKey || openai.baseUrl) {
    // The official API gets the Responses API; a compatible server behind OPENAI_BASE_URL
    // most likely speaks only chat completions, and a local one wants no key (OpenAI's own
    // client refuses to send without one).
    const kind = !openai.baseUrl
      ? 'openai-responses'
      : openai.apiKey
        ? 'openai'
        : 'openai-compatible';
    result.openai = { kind, ...openai };
  }
  if (google.apiKey) result.google = { kind: 'google', ...google };
  if (ollama.host) {
    const baseUrl = `${ollama.host.replace(/\/+$/, '')}/v1`;
    result.ollama = { kind: 'openai-compatible', baseUrl, privacy: 'local' };
  }
  if (config.models.localModelPath) {
    result['llama-cpp'] = { kind: 'llama-cpp', modelPath: config.models.localModelPath };
  }
  return result;
}

function createEndpoint(name: string, settings: EndpointConfig): Endpoint {
  const cache = new Map<string, LanguageModelV3>();
  const factory = modelFactory(name, settings);
  const privacy = settings.privacy ?? defaultPrivacy(settings);
  const secrets = [settings.apiKey, ...Object.values(settings.headers ?? {})].filter(
    (value): value is string => Boolean(value && value.length >= 4),
  );
  return {
    name,
    kind: settings.kind,
    privacy,
    baseUrl: settings.baseUrl ? withoutCredentials(settings.baseUrl) : null,
    isLocal:
      settings.kind === 'llama-cpp' ||
      privacy === 'local' ||
      Boolean(settings.baseUrl && isLocalAddress(settings.baseUrl)),
    requestServedModels: servesModelList(settings) ? modelsRequest(settings) : undefined,
    redact: (text) =>
      secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text),
    languageModel: (id) => {
      let model = cache.get(id);
      if (!model) {
        model = factory(id);
        cache.set(id, model);
      }
      return model;
    },
  };
}

function modelFactory(name: string, settings: EndpointConfig): (id: string) => LanguageModelV3 {
  const { apiKey, baseUrl: baseURL, headers } = settings;
  switch (settings.kind) {
    case 'anthropic': {
      const provider = createAnthropic({ apiKey, baseURL, headers });
      return (id) => provider(id);
    }
    case 'openai': {
      const provider = createOpenAI({ apiKey, baseURL, headers });
      return (id) => provider.chat(id);
    }
    case 'openai-responses': {
      const provider = createOpenAI({ apiKey, baseURL, headers });
      return (id) => provider.responses(id);
    }
    case 'openai-compatible': {
      const provider = createOpenAICompatible({
        name,
        baseURL: baseURL!,
        apiKey,
        headers,
        includeUsage: true,
      });
      return (id) => provider.chatModel(id);
    }
    case 'google': {
      const provider = createGoogleGenerativeAI({ apiKey, baseURL, headers });
      return (id) => provider(id);
    }
    case 'llama-cpp':
      return (id) => createLlamaCppModel({ modelPath: settings.modelPath!, modelId: id });
  }
}

function servesModelList(
  settings: EndpointConfig,
): settings is EndpointConfig & { baseUrl: string } {
  return Boolean(settings.baseUrl) && ['openai', 'openai-compatible'].includes(settings.kind);
}

function modelsRequest(settings: EndpointConfig & { baseUrl: string }) {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/models`;
  const headers: Record<string, string> = { accept: 'application/json', ...settings.headers };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  return (signal: AbortSignal) => fetch(url, { headers, signal });
}

function defaultPrivacy(settings: EndpointConfig): PrivacyClass {
  if (settings.kind === 'llama-cpp') return 'local';
  if (!settings.baseUrl) return 'cloud';
  const host = new URL(settings.baseUrl).hostname;
  return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(host) ? 'local' : 'cloud';
}
