// Models discovered on an OpenAI-compatible server given by OPENAI_BASE_URL alone: what the
// registry holds, what it costs, and the server's own errors carried into the call's error.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/index.js';
import { tables, type Database } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createEndpoints } from '../../src/llm/index.js';
import { discoverModels } from '../../src/llm/discovery.js';
import { isLocalAddress } from '../../src/llm/server-url.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { closedPort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { closeHarnesses, createHarness, createLlmTestDatabase } from './helpers.js';

let database: Database;
let orgId: string;
const servers: FakeModelServer[] = [];

beforeAll(async () => {
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(async () => {
  await closeHarnesses();
  await Promise.all(servers.map((server) => server.close().catch(() => undefined)));
  await database.close();
});

async function fakeServer(models: Parameters<FakeModelServer['setModels']>[0]) {
  const server = await createFakeModelServer();
  server.setModels(models);
  servers.push(server);
  return server;
}

/** A gateway configured with OPENAI_BASE_URL alone, as `cadre up` would have it. */
function harnessOn(baseUrl: string, models: Record<string, unknown> = {}) {
  return createHarness({
    database,
    providerSettings: { openai: { baseUrl } },
    models: { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, ...models },
  });
}
const gatewayOn = (baseUrl: string, models: Record<string, unknown> = {}) =>
  harnessOn(baseUrl, models).gateway;

const hello = { kind: 'reply' as const, reply: { text: 'hi', usage: { input: 50, output: 5 } } };

async function failure(promise: Promise<unknown>): Promise<CadreError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CadreError);
  return error as CadreError;
}

describe('OPENAI_BASE_URL alone', () => {
  it('registers the models the server lists, with its context windows, at no cost', async () => {
    const server = await fakeServer([
      { id: 'Qwen/Qwen2.5-Coder-32B-Instruct', max_model_len: 32_768 }, // vLLM
      { id: 'llama-3.1-8b', meta: { n_ctx_train: 131_072 } }, // llama.cpp
      { id: 'nomic-embed-text' }, // Ollama, no context stated
    ]);
    const gateway = gatewayOn(`${server.url}/v1`);
    await gateway.refreshModels();
    const openai = gateway.listModels().filter((model) => model.endpoint === 'openai');
    expect(openai.map((model) => [model.id, model.contextWindow, model.isAvailable])).toEqual([
      ['openai/Qwen/Qwen2.5-Coder-32B-Instruct', 32_768, true],
      ['openai/llama-3.1-8b', 131_072, true],
      ['openai/nomic-embed-text', 8_192, true],
    ]);
    // Nothing of the built-in table: the server has no gpt-5.
    expect(gateway.listModels().some((model) => model.id === 'openai/gpt-5')).toBe(false);
    expect(openai[0]).toMatchObject({
      providerModelId: 'Qwen/Qwen2.5-Coder-32B-Instruct',
      prices: { input: 0, output: 0, cachedInput: 0 },
      isPriceKnown: true,
      privacy: 'local',
      capabilities: { tools: true, structuredOutput: true, embeddings: false },
    });
    expect(openai[2]!.capabilities).toMatchObject({ tools: false, embeddings: true });
    expect(gateway.discoveryStatus()).toEqual([
      {
        endpoint: 'openai',
        url: `${server.url}/v1/models`,
        state: 'ok',
        modelCount: 3,
        error: null,
        checkedAt: expect.any(String),
      },
    ]);

    server.enqueue(hello);
    const result = await gateway.generate({
      messages: [{ role: 'user', content: 'Hello' }],
      tools: { noop: { inputSchema: { type: 'object' } } },
      context: { orgId },
    });
    // All of one tier and free: the first listed that can call tools.
    expect(result).toMatchObject({
      text: 'hi',
      model: 'openai/Qwen/Qwen2.5-Coder-32B-Instruct',
      costUsd: 0,
    });
    const chat = server.requests.find((entry) => entry.path === '/v1/chat/completions');
    expect(chat?.body.model).toBe('Qwen/Qwen2.5-Coder-32B-Instruct');
  });

  it('answers the first call after start once the list is in, without a refresh', async () => {
    const server = await fakeServer([{ id: 'served-model' }]);
    const gateway = gatewayOn(`${server.url}/v1`);
    server.enqueue(hello);
    const result = await gateway.generate({
      messages: [{ role: 'user', content: 'Hello' }],
      context: { orgId },
    });
    expect(result.model).toBe('openai/served-model');
  });

  it('asks nothing when the configuration names the models, and serves only those', async () => {
    const server = await fakeServer([{ id: 'listed' }]);
    const gateway = gatewayOn(`${server.url}/v1`, {
      catalog: [{ id: 'openai/named', endpoint: 'openai', providerModelId: 'listed' }],
    });
    await gateway.refreshModels();
    const openai = gateway.listModels().filter((model) => model.endpoint === 'openai');
    expect(openai.map((model) => model.id)).toEqual(['openai/named']);
    expect(gateway.discoveryStatus()).toEqual([]);
    expect(server.requests.filter((entry) => entry.path === '/v1/models')).toEqual([]);
  });

  it('says which URL failed and how when the server does not list its models', async () => {
    const port = await closedPort();
    const gateway = gatewayOn(`http://127.0.0.1:${port}/v1`);
    await gateway.refreshModels();
    expect(gateway.isConfigured()).toBe(false);
    const [status] = gateway.discoveryStatus();
    expect(status).toMatchObject({ state: 'failed', url: `http://127.0.0.1:${port}/v1/models` });
    expect(status!.error).toContain('ECONNREFUSED');
    const guidance = gateway.setupGuidance()!;
    expect(guidance).toContain(`GET http://127.0.0.1:${port}/v1/models failed`);
    expect(guidance).toContain('catalog');

    const error = await failure(
      gateway.generate({ messages: [{ role: 'user', content: 'Hi' }], context: { orgId } }),
    );
    expect(error.code).toBe('LLM_MODEL_DISCOVERY_FAILED');
    expect(error.message).toContain(`http://127.0.0.1:${port}/v1/models`);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('reports a server without the route by its status', async () => {
    const server = await fakeServer(null);
    const gateway = gatewayOn(`${server.url}/v1`);
    await gateway.refreshModels();
    expect(gateway.discoveryStatus()[0]).toMatchObject({
      state: 'failed',
      error: 'HTTP 404: 404 page not found',
    });
  });
});

describe("a provider's own error", () => {
  it('carries the 404 of a model the server no longer serves, and the list is asked again', async () => {
    const server = await fakeServer([{ id: 'gone-soon' }]);
    const { gateway, clock } = harnessOn(`${server.url}/v1`);
    await gateway.refreshModels();
    server.setModels([{ id: 'loaded-now' }]);
    clock.now += 60_000; // past the least time between two asks
    const ask = () =>
      gateway.generate({
        messages: [{ role: 'user', content: 'Hi' }],
        policy: { model: 'openai/gone-soon' },
        context: { orgId },
      });
    const error = await failure(ask());
    expect(error.code).toBe('LLM_PROVIDER_FAILED');
    expect(error.message).toContain('HTTP_404');
    expect(error.message).toContain('The model `gone-soon` does not exist');

    // The 404 asked the server's list again: the registry follows what it serves now.
    await waitFor('the list to be asked again', () =>
      gateway.listModels().some((model) => model.id === 'openai/loaded-now') ? true : null,
    );
    const later = await failure(ask());
    expect(later.code).toBe('LLM_UNKNOWN_MODEL');
    expect(later.message).toContain('The model `gone-soon` does not exist');

    const [row] = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.model, 'openai/gone-soon'));
    expect(row).toMatchObject({ status: 'error', errorCode: 'HTTP_404' });
    expect(row!.errorMessage).toContain('The model `gone-soon` does not exist');
  });

  it('names the base URL of a server that refuses connections, and the open breaker says so too', async () => {
    const server = await fakeServer([{ id: 'm' }]);
    const gateway = gatewayOn(`${server.url}/v1`, {
      breaker: { failureThreshold: 1, cooldownMs: 60_000, maxWaitMs: 0 },
    });
    await gateway.refreshModels();
    await server.close();
    const ask = () =>
      gateway.generate({ messages: [{ role: 'user', content: 'Hi' }], context: { orgId } });
    const error = await failure(ask());
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`${server.url}/v1`);

    const refused = await failure(ask());
    expect(refused.code).toBe('LLM_PROVIDER_UNAVAILABLE');
    expect(refused.message).toContain('circuit breaker');
    expect(refused.message).toContain('The last provider error: openai/m@openai answered NETWORK');
    expect(refused.message).toContain(`${server.url}/v1`);
  });

  it('names the base URL of a server that does not answer in time', async () => {
    const server = await fakeServer([{ id: 'slow' }]);
    const gateway = gatewayOn(`${server.url}/v1`, { timeoutMs: 200 });
    await gateway.refreshModels();
    server.enqueue({ kind: 'stall', reply: { text: 'late' }, afterPieces: 0 });
    const error = await failure(
      gateway.generate({ messages: [{ role: 'user', content: 'Hi' }], context: { orgId } }),
    );
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('did not answer within 200 ms');
    expect(error.message).toContain(`(${server.url}/v1)`);
  });

  it('never repeats the key a server echoes in its error', async () => {
    const server = await fakeServer([{ id: 'm' }]);
    const gateway = createHarness({
      database,
      providerSettings: { openai: { baseUrl: `${server.url}/v1`, apiKey: 'sk-echoed-secret' } },
      models: { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } },
    }).gateway;
    await gateway.refreshModels();
    server.enqueue({
      kind: 'status',
      status: 401,
      body: JSON.stringify({ error: { message: 'Bad key sk-echoed-secret' } }),
    });
    const error = await failure(
      gateway.generate({ messages: [{ role: 'user', content: 'Hi' }], context: { orgId } }),
    );
    expect(error.message).toContain('Bad key [redacted]');
    expect(error.message).not.toContain('sk-echoed-secret');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-echoed-secret');
  });
});

describe('prices of discovered models', () => {
  it('are 0 and marked unknown on a remote server that states none, and taken when it does', async () => {
    const server = await fakeServer([
      { id: 'free-form' },
      {
        id: 'priced',
        context_length: 65_536,
        pricing: { prompt: '0.000001', completion: '0.000002' },
      },
      { id: 'gpt-4o-mini' },
    ]);
    const config = Config.parse({
      dataDir: '/nonexistent',
      models: { endpoints: { remote: { kind: 'openai-compatible', baseUrl: `${server.url}/v1` } } },
    });
    // The fake listens on loopback; the endpoint is taken as a remote one.
    const endpoint = { ...createEndpoints(config).get('remote')!, isLocal: false };
    const models = await discoverModels(endpoint, { timeoutMs: 5_000 });
    expect(models.map((model) => [model.id, model.prices, model.isPriceKnown])).toEqual([
      ['remote/free-form', { input: 0, output: 0, cachedInput: 0 }, false],
      ['remote/priced', { input: 1, output: 2, cachedInput: 1 }, undefined],
      // A model of the built-in table keeps its list price.
      ['remote/gpt-4o-mini', { input: 0.15, output: 0.6, cachedInput: 0.075 }, undefined],
    ]);
    expect(models[1]!.contextWindow).toBe(65_536);
  });

  it('count loopback, private ranges and .local hosts as local', () => {
    for (const url of [
      'http://127.0.0.1:8000/v1',
      'http://localhost:1234/v1',
      'http://[::1]:8080/v1',
      'http://10.0.0.5:8000/v1',
      'http://172.20.1.1/v1',
      'http://192.168.1.20:11434/v1',
      'http://gpu-box.local:8000/v1',
      'http://[fd12:3456::1]/v1',
    ]) {
      expect(isLocalAddress(url), url).toBe(true);
    }
    for (const url of ['https://openrouter.ai/api/v1', 'http://172.32.0.1/v1', 'http://8.8.8.8']) {
      expect(isLocalAddress(url), url).toBe(false);
    }
  });
});
