// The API with OPENAI_BASE_URL alone: /api/models lists what the server serves (again on
// ?refresh=true), and /api/providers shows the server's list state and the last call's error
// in the server's own words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { closedPort } from '../helpers/ports.js';

let server: FakeModelServer;
let t: TestApp;

beforeAll(async () => {
  server = await createFakeModelServer();
  server.setModels([{ id: 'qwen-coder', max_model_len: 32_768 }, { id: 'gemma' }]);
  t = await createTestApp({
    providers: {
      anthropic: {},
      openai: { baseUrl: `${server.url}/v1`, apiKey: 'sk-local-secret' },
      google: {},
      ollama: {},
    },
  });
});
afterAll(async () => {
  await t?.close();
  await server?.close();
});

const get = (url: string) => t.app.inject({ url, headers: bearer(t.adminKey) });

describe('models discovered on the server behind OPENAI_BASE_URL', () => {
  it('are listed by /api/models, priced at 0, and follow the server on ?refresh=true', async () => {
    const first = (await get('/api/models')).json();
    const served = (body: { items: Array<{ id: string; endpoint: string }> }) =>
      body.items.filter((model) => model.endpoint === 'openai').map((model) => model.id);
    expect(served(first)).toEqual(['openai/qwen-coder', 'openai/gemma']);
    expect(first.isConfigured).toBe(true);
    expect(
      first.items.find((model: { id: string }) => model.id === 'openai/qwen-coder'),
    ).toMatchObject({
      contextWindow: 32_768,
      prices: { input: 0, output: 0, cachedInput: 0 },
      isPriceKnown: true,
    });

    server.setModels([{ id: 'gemma' }, { id: 'phi-4' }]);
    expect(served((await get('/api/models')).json())).toEqual([
      'openai/qwen-coder',
      'openai/gemma',
    ]);
    expect(served((await get('/api/models?refresh=true')).json())).toEqual([
      'openai/gemma',
      'openai/phi-4',
    ]);
  });

  it("shows the provider's list state and its last error, in the server's words, never the key", async () => {
    // A real call through the app's gateway to a model the server no longer has.
    server.setModels([{ id: 'phi-4' }]);
    server.enqueue({ kind: 'reply', reply: { text: 'a' } });
    const asked = await t.app.inject({
      method: 'POST',
      url: '/api/experts',
      headers: bearer(t.adminKey),
      payload: {
        question: 'Which?',
        models: ['openai/gemma', 'openai/phi-4'],
        aggregation: 'vote',
        choices: ['a', 'b'],
        quorum: 2,
      },
    });
    expect(asked.statusCode).toBe(502);

    const response = await get('/api/providers');
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('sk-local-secret');
    const openai = response.json().items.find((item: { name: string }) => item.name === 'openai');
    expect(openai).toMatchObject({
      kind: 'openai',
      baseUrl: `${server.url}/v1`,
      hasApiKey: true,
      discovery: { url: `${server.url}/v1/models`, state: 'ok', modelCount: 2, error: null },
      lastError: {
        model: 'openai/gemma',
        code: 'HTTP_404',
        message: expect.stringContaining('The model `gemma` does not exist'),
        at: expect.any(String),
      },
    });
  });
});

describe('a server that does not answer GET /models', () => {
  let down: TestApp;
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
    down = await createTestApp({
      providers: {
        anthropic: {},
        openai: { baseUrl: `http://127.0.0.1:${port}/v1` },
        google: {},
        ollama: {},
      },
    });
  });
  afterAll(() => down?.close());

  it('is reported with its URL and error, and the guidance says how to name models', async () => {
    const models = (
      await down.app.inject({ url: '/api/models', headers: bearer(down.adminKey) })
    ).json();
    expect(models.isConfigured).toBe(false);
    expect(models.setupGuidance).toContain(`GET http://127.0.0.1:${port}/v1/models failed`);
    expect(models.setupGuidance).toContain('ECONNREFUSED');
    expect(models.setupGuidance).toContain('catalog');
    const providers = (
      await down.app.inject({ url: '/api/providers', headers: bearer(down.adminKey) })
    ).json();
    expect(providers.items).toEqual([
      expect.objectContaining({
        name: 'openai',
        kind: 'openai-compatible',
        hasApiKey: false,
        models: [],
        discovery: expect.objectContaining({
          state: 'failed',
          url: `http://127.0.0.1:${port}/v1/models`,
          error: expect.stringContaining('ECONNREFUSED'),
        }),
      }),
    ]);
  });
});
