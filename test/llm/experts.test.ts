import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { closeHarnesses, createHarness, createLlmTestDatabase, fakeModel } from './helpers.js';

let alpha: FakeModelServer;
let beta: FakeModelServer;
let gamma: FakeModelServer;
let database: Database;
let orgId: string;

beforeAll(async () => {
  [alpha, beta, gamma] = await Promise.all([
    createFakeModelServer(),
    createFakeModelServer(),
    createFakeModelServer(),
  ]);
  ({ database, orgId } = await createLlmTestDatabase());
});
afterEach(closeHarnesses);
afterAll(async () => {
  await Promise.all([alpha.close(), beta.close(), gamma.close()]);
  await closeHarnesses();
  await database.close();
});

function circle(judgeTurns: string[] = []) {
  const judge = createScriptedModel({
    modelId: 'judge',
    turns: judgeTurns.map((text) => ({ text })),
    info: { tier: 'best' },
  });
  const harness = createHarness({
    database,
    models: {
      endpoints: {
        alpha: { kind: 'openai', baseUrl: `${alpha.url}/v1`, apiKey: 'k' },
        beta: { kind: 'anthropic', baseUrl: `${beta.url}/v1`, apiKey: 'k' },
        gamma: { kind: 'openai-responses', baseUrl: `${gamma.url}/v1`, apiKey: 'k' },
      },
      catalog: [
        fakeModel('alpha/m', 'alpha'),
        fakeModel('beta/m', 'beta'),
        fakeModel('gamma/m', 'gamma'),
      ],
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    },
    providers: [judge.asProvider()],
  });
  return { ...harness, judge };
}

const models = ['alpha/m', 'beta/m', 'gamma/m'];

describe('the circle of experts', () => {
  it('takes a majority vote, tolerating one failed expert, and reports each answer, cost and latency', async () => {
    const { gateway } = circle();
    alpha.enqueue({
      kind: 'reply',
      reply: { text: 'PostgreSQL\nIt has SKIP LOCKED.', usage: { input: 100, output: 10 } },
    });
    beta.enqueue({ kind: 'status', status: 500 });
    gamma.enqueue({ kind: 'reply', reply: { text: 'postgresql.\nTransactions.' } });
    const result = await gateway.askExperts({
      question: 'Which store for the queue?',
      models,
      aggregation: { kind: 'vote', choices: ['PostgreSQL', 'Redis'] },
      context: { orgId },
    });
    expect(result.answer).toBe('PostgreSQL');
    expect(result.votes).toEqual({ PostgreSQL: 2, Redis: 0 });
    expect(result.agreement).toBe(1);
    expect(
      result.experts.map((expert) => [expert.model, expert.status, expert.choice ?? null]),
    ).toEqual([
      ['alpha/m', 'ok', 'PostgreSQL'],
      ['beta/m', 'error', null],
      ['gamma/m', 'ok', 'PostgreSQL'],
    ]);
    expect(result.experts[0]!.costUsd).toBeCloseTo((100 + 20) / 1e6, 10);
    expect(result.experts[1]!.error!.code).toBe('LLM_PROVIDER_FAILED');
    expect(result.costUsd).toBeCloseTo(
      result.experts.reduce((sum, expert) => sum + expert.costUsd, 0),
      10,
    );
    expect(JSON.stringify(alpha.requests.at(-1)!.body)).toContain('PostgreSQL | Redis');
  });

  it('fails with LLM_QUORUM_NOT_REACHED when too few experts answer', async () => {
    const { gateway } = circle();
    alpha.enqueue({ kind: 'reply', reply: { text: 'Redis' } });
    beta.enqueue({ kind: 'status', status: 500 });
    gamma.enqueue({ kind: 'reset' });
    await expect(
      gateway.askExperts({
        question: 'Which?',
        models,
        aggregation: { kind: 'vote', choices: ['PostgreSQL', 'Redis'] },
        context: { orgId },
      }),
    ).rejects.toMatchObject({
      code: 'LLM_QUORUM_NOT_REACHED',
      message: expect.stringContaining('Only 1 of 3'),
    });
  });

  it('lets a judge model pick the best answer', async () => {
    const { gateway, judge } = circle(['2\nIt is the precise one.']);
    alpha.enqueue({ kind: 'reply', reply: { text: 'about 3' } });
    beta.enqueue({ kind: 'reply', reply: { text: '3.14159' } });
    gamma.enqueue({ kind: 'reply', reply: { text: 'pi' } });
    const result = await gateway.askExperts({
      question: 'What is pi?',
      models,
      aggregation: { kind: 'judge', judge: judge.id },
      context: { orgId },
    });
    expect(result.answer).toBe('3.14159');
    expect(result.aggregator?.model).toBe('scripted/judge');
    const prompt = JSON.stringify(judge.calls[0]!.prompt);
    expect(prompt).toContain('Answer 2:\\n3.14159');
  });

  it('synthesises one answer with the agreement score the synthesizer states', async () => {
    const { gateway, judge } = circle(['Use Postgres with SKIP LOCKED.\nAGREEMENT: 0.8']);
    alpha.enqueue({ kind: 'reply', reply: { text: 'Postgres, SKIP LOCKED' } });
    beta.enqueue({ kind: 'reply', reply: { text: 'Postgres' } });
    gamma.enqueue({ kind: 'reply', reply: { text: 'Postgres or Redis' } });
    const result = await gateway.askExperts({
      question: 'Queue?',
      models,
      aggregation: { kind: 'synthesis', synthesizer: judge.id },
      context: { orgId },
    });
    expect(result).toMatchObject({ answer: 'Use Postgres with SKIP LOCKED.', agreement: 0.8 });
    expect(result.experts).toHaveLength(3);
  });
});
