// GET /api/providers: the configured providers with their URL, whether a key is set, their
// breaker and the organization's calls of the last hour, and never a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelsConfig } from '../../src/config/index.js';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let bare: TestApp;
let mine: { orgId: string; key: string };
const secrets = ['sk-ant-secret', 'proxy-password', 'query-token', 'vllm-secret', 'header-secret'];

beforeAll(async () => {
  t = await createTestApp({
    providers: {
      anthropic: {
        apiKey: 'sk-ant-secret',
        baseUrl: 'https://proxy-user:proxy-password@proxy.example.com/anthropic?key=query-token',
      },
      openai: {},
      google: {},
      ollama: { host: 'http://127.0.0.1:11434' },
    },
    models: ModelsConfig.parse({
      endpoints: {
        'local-vllm': {
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:8000/v1',
          apiKey: 'vllm-secret',
          headers: { authorization: 'Bearer header-secret' },
        },
      },
      catalog: [{ id: 'local-vllm/qwen', endpoint: 'local-vllm' }],
    }),
  });
  bare = await createTestApp();
  mine = await createOrganization(t.database, 'Settings', 'viewer');
  const other = await createOrganization(t.database, 'Busy');
  const call = (orgId: string, status: string, latencyMs: number, extra = {}) => ({
    orgId,
    provider: 'anthropic',
    model: 'claude',
    status,
    latencyMs,
    ...extra,
  });
  await t.database.db.insert(tables.llmCalls).values([
    call(mine.orgId, 'ok', 100),
    call(mine.orgId, 'ok', 200),
    call(mine.orgId, 'ok', 300),
    call(mine.orgId, 'error', 5000),
    // Not calls to the provider, or not recent ones: none of these count.
    call(mine.orgId, 'ok', 1, { isCacheHit: true }),
    call(mine.orgId, 'refused', 0),
    call(mine.orgId, 'error', 9000, { createdAt: new Date(Date.now() - 2 * 3_600_000) }),
    call(other.orgId, 'error', 7000),
    call(other.orgId, 'error', 7000),
  ]);
});
afterAll(async () => {
  await t.close();
  await bare.close();
});

describe('GET /api/providers', () => {
  it('lists each configured provider with its URL, key presence, models and breaker', async () => {
    const response = await t.app.inject({ url: '/api/providers', headers: bearer(mine.key) });
    expect(response.statusCode).toBe(200);
    const { items } = response.json();
    expect(items.map((item: { name: string }) => item.name)).toEqual([
      'anthropic',
      'local-vllm',
      'ollama',
    ]);
    const [anthropic, vllm, ollama] = items;
    expect(anthropic).toMatchObject({
      kind: 'anthropic',
      baseUrl: 'https://proxy.example.com/anthropic',
      hasApiKey: true,
      privacy: 'cloud',
      breaker: 'closed',
      lastHour: { calls: 4, errors: 1, errorRate: 0.25, latencyP50Ms: 200, latencyP95Ms: 290 },
    });
    expect(anthropic.models.length).toBeGreaterThan(0);
    expect(vllm).toEqual({
      name: 'local-vllm',
      kind: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:8000/v1',
      hasApiKey: true,
      privacy: 'local',
      models: ['local-vllm/qwen'],
      breaker: 'closed',
      lastHour: { calls: 0, errors: 0, errorRate: null, latencyP50Ms: null, latencyP95Ms: null },
      discovery: null,
      lastError: null,
    });
    expect(ollama).toMatchObject({
      kind: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:11434/',
      hasApiKey: false,
      privacy: 'local',
    });
  });

  it('never answers a key, a header or the credentials of a URL', async () => {
    const body = (await t.app.inject({ url: '/api/providers', headers: bearer(t.adminKey) })).body;
    for (const secret of secrets) expect(body).not.toContain(secret);
  });

  it('answers an empty list when no provider is configured', async () => {
    const response = await bare.app.inject({
      url: '/api/providers',
      headers: bearer(bare.adminKey),
    });
    expect(response.json()).toEqual({ items: [] });
  });
});
