// Settings of the model providers reached through the LLM gateway (src/llm/).
import { z } from 'zod';
import { HttpUrl, type EnvBinding } from './env.js';

const ApiKeyProvider = z.strictObject({
  apiKey: z.string().min(1).optional(),
  baseUrl: HttpUrl.optional(),
});

export const ProvidersConfig = z.strictObject({
  anthropic: ApiKeyProvider.default({}),
  openai: ApiKeyProvider.default({}),
  google: ApiKeyProvider.default({}),
  ollama: z.strictObject({ host: HttpUrl.optional() }).default({}),
});
export type ProvidersConfig = z.infer<typeof ProvidersConfig>;

export const providersEnv: EnvBinding[] = [
  { env: 'ANTHROPIC_API_KEY', path: ['providers', 'anthropic', 'apiKey'] },
  { env: 'ANTHROPIC_BASE_URL', path: ['providers', 'anthropic', 'baseUrl'] },
  { env: 'OPENAI_API_KEY', path: ['providers', 'openai', 'apiKey'] },
  { env: 'OPENAI_BASE_URL', path: ['providers', 'openai', 'baseUrl'] },
  { env: 'GOOGLE_GENERATIVE_AI_API_KEY', path: ['providers', 'google', 'apiKey'] },
  { env: 'OLLAMA_HOST', path: ['providers', 'ollama', 'host'] },
];
