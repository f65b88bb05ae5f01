import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { fakeModel } from './helpers.js';

let t: TestApp;
let left: FakeModelServer;
let right: FakeModelServer;

beforeAll(async () => {
  left = await createFakeModelServer();
  right = await createFakeModelServer();
  t = await createTestApp({
    models: {
      endpoints: {
        left: { kind: 'openai', baseUrl: `${left.url}/v1`, apiKey: 'k' },
        right: { kind: 'anthropic', baseUrl: `${right.url}/v1`, apiKey: 'k' },
      },
      catalog: [fakeModel('left/m', 'left'), fakeModel('right/m', 'right')],
    },
  } as never);
});
afterAll(async () => {
  await t.close();
  await left.close();
  await right.close();
});

describe('GET /api/models', () => {
  it('lists the registry with availability, and the default table', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/models',
      headers: bearer(t.adminKey),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ isConfigured: true, setupGuidance: null });
    const byId = new Map(body.items.map((item: { id: string }) => [item.id, item]));
    expect(byId.get('left/m')).toMatchObject({
      isAvailable: true,
      privacy: 'local',
      prices: { input: 1, output: 2 },
    });
    expect(byId.get('anthropic/claude-sonnet-4-5')).toMatchObject({
      isAvailable: false,
      privacy: 'cloud',
      tier: 'balanced',
    });
  });
});

describe('budgets and spend over the API', () => {
  it('sets, lists and deletes budgets; a viewer may read but not set them', async () => {
    const headers = bearer(t.adminKey);
    const invalid = await t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers,
      payload: { scope: 'organization' },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toContain('limitUsd');
    const set = await t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers,
      payload: { scope: 'organization', period: 'month', limitUsd: 50 },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({
      scope: 'organization',
      period: 'month',
      limitUsd: 50,
      limitTokens: null,
    });
    const replaced = await t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers,
      payload: { scope: 'organization', period: 'month', limitUsd: 80 },
    });
    expect(replaced.json().id).toBe(set.json().id);
    const list = await t.app.inject({ method: 'GET', url: '/api/budgets', headers });
    expect(list.json().items).toEqual([replaced.json()]);

    const viewer = await createOrganization(t.database, 'Viewers', 'viewer');
    const forbidden = await t.app.inject({
      method: 'PUT',
      url: '/api/budgets',
      headers: bearer(viewer.key),
      payload: { scope: 'organization', limitUsd: 1 },
    });
    expect(forbidden.statusCode).toBe(403);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/budgets/${set.json().id}`,
      headers,
    });
    expect(deleted.statusCode).toBe(204);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/budgets', headers })).json().items,
    ).toEqual([]);
  });

  it('asks a circle of experts, then reports the spend per model and per day', async () => {
    const headers = bearer(t.adminKey);
    left.enqueue({ kind: 'reply', reply: { text: 'yes', usage: { input: 1000, output: 100 } } });
    right.enqueue({
      kind: 'reply',
      reply: { text: 'Yes, because', usage: { input: 2000, output: 200 } },
    });
    const asked = await t.app.inject({
      method: 'POST',
      url: '/api/experts',
      headers,
      payload: {
        question: 'Ship it?',
        models: ['left/m', 'right/m'],
        aggregation: 'vote',
        choices: ['yes', 'no'],
      },
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({ answer: 'yes', agreement: 1, votes: { yes: 2, no: 0 } });

    const byModel = await t.app.inject({ method: 'GET', url: '/api/spend?groupBy=model', headers });
    expect(byModel.statusCode).toBe(200);
    const items = byModel.json().items;
    expect(items).toEqual([
      {
        key: 'right/m',
        calls: 1,
        cacheHits: 0,
        inputTokens: 2000,
        outputTokens: 200,
        cachedTokens: 0,
        costUsd: 0.0024,
      },
      {
        key: 'left/m',
        calls: 1,
        cacheHits: 0,
        inputTokens: 1000,
        outputTokens: 100,
        cachedTokens: 0,
        costUsd: 0.0012,
      },
    ]);
    const byDay = (
      await t.app.inject({ method: 'GET', url: '/api/spend?groupBy=day', headers })
    ).json();
    expect(byDay.items).toHaveLength(1);
    expect(byDay.items[0].key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(byDay.totalUsd).toBeCloseTo(0.0036, 10);

    const other = await createOrganization(t.database, 'Elsewhere');
    const theirs = (
      await t.app.inject({
        method: 'GET',
        url: '/api/spend?groupBy=model',
        headers: bearer(other.key),
      })
    ).json();
    expect(theirs.items).toEqual([]);
  });
});
