import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables, type Database } from '../../src/db/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import {
  closeHarnesses,
  createHarness,
  createLlmTestDatabase,
  fakeModel,
  type GatewayHarness,
} from './helpers.js';

let cloud: FakeModelServer;
let local: FakeModelServer;
let database: Database;
let orgId: string;
let harness: GatewayHarness;
let secretProject: string;
let openProject: string;

beforeAll(async () => {
  cloud = await createFakeModelServer();
  local = await createFakeModelServer();
  ({ database, orgId } = await createLlmTestDatabase());
  const projects = await database.db
    .insert(tables.projects)
    .values([
      { orgId, name: 'secret', isConfidential: true },
      { orgId, name: 'open', isConfidential: false },
    ])
    .returning();
  secretProject = projects[0]!.id;
  openProject = projects[1]!.id;
  harness = createHarness({
    database,
    models: {
      endpoints: {
        cloud: { kind: 'anthropic', baseUrl: `${cloud.url}/v1`, apiKey: 'k', privacy: 'cloud' },
        // On loopback, so local by default.
        box: { kind: 'openai-compatible', baseUrl: `${local.url}/v1` },
      },
      catalog: [
        fakeModel('cloud/best', 'cloud', { tier: 'best', prices: { input: 10, output: 30 } }),
        fakeModel('cloud/vision', 'cloud', { capabilities: { vision: true, tools: true } }),
        fakeModel('box/small', 'box', {
          tier: 'fast',
          privacy: 'local',
          prices: { input: 0, output: 0 },
        }),
      ],
    },
  });
});
afterAll(async () => {
  await harness.gateway.close();
  await cloud.close();
  await local.close();
  await closeHarnesses();
  await database.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'the secret plan' }] };

describe('privacy', () => {
  it('sends a confidential project only to a local model, even when asked for the best tier', async () => {
    local.enqueue({ kind: 'reply', reply: { text: 'local answer' } });
    const cloudBefore = cloud.requests.length;
    const result = await harness.gateway.generate({
      ...ask,
      policy: { tier: 'best' },
      context: { orgId, projectId: secretProject },
    });
    expect(result.model).toBe('box/small');
    expect(result.routeReason).toContain('confidential project: local models only');
    expect(result.routeReason).toContain('cloud/best@cloud (cloud, project confidential)');
    expect(cloud.requests.length).toBe(cloudBefore);
  });

  it('refuses a cloud model pinned for a confidential project, and sends nothing', async () => {
    const before = cloud.requests.length;
    await expect(
      harness.gateway.generate({
        ...ask,
        policy: { model: 'cloud/best' },
        context: { orgId, projectId: secretProject },
      }),
    ).rejects.toMatchObject({
      code: 'LLM_PRIVACY_VIOLATION',
      message: expect.stringContaining('cloud/best'),
    });
    expect(cloud.requests.length).toBe(before);
  });

  it('does not fall back to a cloud model when the local one fails', async () => {
    local.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500 })));
    const before = cloud.requests.length;
    await expect(
      harness.gateway.generate({ ...ask, context: { orgId, projectId: secretProject } }),
    ).rejects.toMatchObject({ code: 'LLM_PROVIDER_FAILED' });
    expect(cloud.requests.length).toBe(before);
  });

  it('fails closed for a project that is not in the organization', async () => {
    await expect(
      harness.gateway.generate({ ...ask, context: { orgId, projectId: crypto.randomUUID() } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('applies a project newly marked confidential to the next calls, through the scope cache', async () => {
    const [project] = await database.db
      .insert(tables.projects)
      .values({ orgId, name: 'soon secret' })
      .returning();
    const context = { orgId, projectId: project!.id };
    // The first call caches the project's scope as not confidential.
    expect(await harness.gateway.eligibleModels(context, { tier: 'best' })).toContain('cloud/best');
    await database.db
      .update(tables.projects)
      .set({ isConfidential: true })
      .where(eq(tables.projects.id, project!.id));
    // The notification arrives asynchronously: wait for it, with a deadline.
    const deadline = Date.now() + 5_000;
    while ((await harness.gateway.eligibleModels(context)).includes('cloud/best')) {
      if (Date.now() > deadline) throw new Error('the scope cache was not invalidated');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await harness.gateway.eligibleModels(context)).toEqual(['box/small']);
  });

  it('lets a project that is not confidential use the best cloud model', async () => {
    cloud.enqueue({ kind: 'reply', reply: { text: 'cloud answer' } });
    const result = await harness.gateway.generate({
      ...ask,
      policy: { tier: 'best' },
      context: { orgId, projectId: openProject },
    });
    expect(result.model).toBe('cloud/best');
  });
});

describe('routing', () => {
  it('requires capabilities and names what is missing when nothing has them', async () => {
    cloud.enqueue({ kind: 'reply', reply: { text: 'I see' } });
    const result = await harness.gateway.generate({
      ...ask,
      policy: { capabilities: ['vision'] },
      context: { orgId },
    });
    expect(result.model).toBe('cloud/vision');
    await expect(
      harness.gateway.generate({
        ...ask,
        policy: { capabilities: ['embeddings'] },
        context: { orgId },
      }),
    ).rejects.toMatchObject({
      code: 'LLM_NO_ELIGIBLE_MODEL',
      message: expect.stringContaining('embeddings'),
    });
  });

  it('keeps under a cost ceiling', async () => {
    local.enqueue({ kind: 'reply', reply: { text: 'cheap' } });
    const result = await harness.gateway.generate({
      ...ask,
      maxOutputTokens: 1000,
      policy: { tier: 'best', maxCostUsd: 0.001 },
      context: { orgId },
    });
    expect(result.model).not.toBe('cloud/best');
    expect(result.routeReason).toContain('cloud/best@cloud (estimated $');
  });

  it('names an unknown pinned model', async () => {
    await expect(
      harness.gateway.generate({ ...ask, policy: { model: 'nope/none' }, context: { orgId } }),
    ).rejects.toMatchObject({
      code: 'LLM_UNKNOWN_MODEL',
      message: expect.stringContaining('nope/none'),
    });
  });
});

describe('budgets', () => {
  it('refuses a call that would exceed the organization budget before sending it, naming the budget', async () => {
    const { gateway } = harness;
    const budget = await gateway.setBudget(orgId, {
      scope: 'organization',
      scopeId: orgId,
      period: 'day',
      limitUsd: 0.01,
    });
    const before = cloud.requests.length;
    const attempt = gateway.generate({
      ...ask,
      maxOutputTokens: 1000,
      policy: { model: 'cloud/best' },
      context: { orgId },
    });
    await expect(attempt).rejects.toMatchObject({
      code: 'LLM_BUDGET_EXCEEDED',
      message: expect.stringMatching(/daily organization budget is \$0\.01/),
    });
    expect(cloud.requests.length).toBe(before);
    await gateway.flush();
    const rows = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.status, 'refused'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      model: 'cloud/best',
      errorCode: 'LLM_BUDGET_EXCEEDED',
      costUsd: '0.00000000',
    });
    await gateway.deleteBudget(orgId, budget.id);
  });

  it("counts what was spent: a task's budget_usd stops the call that would pass it", async () => {
    const { gateway } = harness;
    const [task] = await database.db
      .insert(tables.tasks)
      .values({ orgId, projectId: openProject, title: 't', description: 'd', budgetUsd: '0.05' })
      .returning();
    const context = { orgId, projectId: openProject, taskId: task!.id };
    // 1000 input + 1000 output tokens at $10 / $30 a million: $0.04.
    cloud.enqueue({
      kind: 'reply',
      reply: { text: 'spent', usage: { input: 1000, output: 1000 } },
    });
    const first = await gateway.generate({
      ...ask,
      maxOutputTokens: 100,
      policy: { model: 'cloud/best' },
      context,
    });
    expect(first.costUsd).toBeCloseTo(0.04, 8);
    const before = cloud.requests.length;
    await expect(
      gateway.generate({ ...ask, maxOutputTokens: 500, policy: { model: 'cloud/best' }, context }),
    ).rejects.toMatchObject({
      code: 'LLM_BUDGET_EXCEEDED',
      message: expect.stringContaining(`task ${task!.id}`),
    });
    expect(cloud.requests.length).toBe(before);
  });

  it('enforces a token budget on a project, refusing before sending', async () => {
    const { gateway } = harness;
    await gateway.setBudget(orgId, {
      scope: 'project',
      scopeId: openProject,
      period: 'total',
      limitTokens: 3_000,
    });
    const before = cloud.requests.length;
    await expect(
      gateway.generate({
        ...ask,
        maxOutputTokens: 5_000,
        policy: { model: 'cloud/best' },
        context: { orgId, projectId: openProject },
      }),
    ).rejects.toMatchObject({
      code: 'LLM_BUDGET_EXCEEDED',
      message: expect.stringContaining('tokens'),
    });
    expect(cloud.requests.length).toBe(before);
    const budgets = await gateway.listBudgets(orgId);
    expect(budgets.map((budget) => [budget.scope, budget.limitTokens])).toContainEqual([
      'project',
      3_000,
    ]);
  });
});

describe('the cache', () => {
  it('answers a repeated deterministic call from Postgres at zero cost, without sending it', async () => {
    const { gateway } = harness;
    const taskId = crypto.randomUUID();
    const request = {
      messages: [{ role: 'user' as const, content: 'What is 2+2?' }],
      temperature: 0,
      policy: { model: 'cloud/vision' },
      context: { orgId, taskId },
    };
    cloud.enqueue({ kind: 'reply', reply: { text: '4', usage: { input: 100, output: 1 } } });
    const first = await gateway.generate(request);
    await gateway.flush();
    const before = cloud.requests.length;
    const second = await gateway.generate(request);
    expect(cloud.requests.length).toBe(before);
    expect(second).toMatchObject({
      text: '4',
      isCacheHit: true,
      costUsd: 0,
      model: 'cloud/vision',
    });
    expect(first.isCacheHit).toBe(false);
    await gateway.flush();
    const rows = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, taskId))
      .orderBy(tables.llmCalls.createdAt);
    expect(rows.map((row) => [row.isCacheHit, row.costUsd])).toEqual([
      [false, '0.00010200'],
      [true, '0.00000000'],
    ]);
    // A call that is not deterministic is sent again.
    cloud.enqueue({ kind: 'reply', reply: { text: 'four' } });
    expect((await gateway.generate({ ...request, temperature: 0.7 })).isCacheHit).toBe(false);
  });
});
