// Circuit breakers per deployment: one failing deployment of a model leaves its twin on another
// endpoint, and the other models of its own endpoint, in use; when every breaker is open, a call
// waits (on the fake clock) for the earliest probe instead of failing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createWorker, enqueueSteps, type StepHandler } from '../../src/orchestrator/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';
import {
  closeHarnesses,
  createHarness,
  createLlmTestDatabase,
  fakeModel,
  type HarnessOptions,
} from './helpers.js';

let primary: FakeModelServer;
let secondary: FakeModelServer;
let database: Database;
let orgId: string;

beforeAll(async () => {
  primary = await createFakeModelServer();
  secondary = await createFakeModelServer();
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(async () => {
  await primary.close();
  await secondary.close();
  await closeHarnesses();
  await database.close();
});
afterEach(async () => {
  await closeHarnesses();
  expect(primary.remaining).toBe(0);
  expect(secondary.remaining).toBe(0);
});

const ask = (policy: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user' as const, content: 'hi' }],
  policy,
  context: { orgId },
});

/** first/model on two endpoints (first, twin), and first/other on `first` only. */
function twins(options: Partial<HarnessOptions> = {}, breaker: Record<string, number> = {}) {
  return createHarness({
    database,
    // The first draw puts the deployment on `first` ahead of its twin.
    random: () => 0.99,
    ...options,
    models: {
      endpoints: {
        first: { kind: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'k' },
        twin: { kind: 'openai', baseUrl: `${secondary.url}/v1`, apiKey: 'k' },
      },
      catalog: [fakeModel('first/model', 'first'), fakeModel('first/other', 'first')],
      deployments: [{ model: 'first/model', endpoint: 'twin', weight: 0.01 }],
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { failureThreshold: 2, cooldownMs: 30_000, ...breaker },
    },
  });
}

describe('breakers per deployment', () => {
  it('use the healthy twin when one deployment of a model fails, and keep its endpoint’s other models', async () => {
    const { gateway } = twins();
    const pinned = ask({ model: 'first/model' });
    primary.enqueue({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    secondary.enqueue(
      { kind: 'reply', reply: { text: 'twin 1' } },
      { kind: 'reply', reply: { text: 'twin 2' } },
      { kind: 'reply', reply: { text: 'twin 3' } },
    );
    const answers = [];
    for (let call = 0; call < 3; call += 1) answers.push(await gateway.generate(pinned));
    expect(answers.map((answer) => [answer.provider, answer.text])).toEqual([
      ['twin', 'twin 1'],
      ['twin', 'twin 2'],
      ['twin', 'twin 3'],
    ]);
    // Two failures opened first/model@first; the third call never went there.
    expect(primary.requests).toHaveLength(2);
    expect(answers[2]!.routeReason).toContain('first/model@first (breaker open)');
    expect(gateway.deploymentBreakerStates()).toEqual({
      'first/model@first': 'open',
      'first/other@first': 'closed',
      'first/model@twin': 'closed',
    });
    // The endpoint still serves its other model: one open breaker does not exclude it.
    expect(gateway.breakerStates()).toEqual({ first: 'half-open', twin: 'closed' });
    primary.enqueue({ kind: 'reply', reply: { text: 'other is fine' } });
    const other = await gateway.generate(ask({ model: 'first/other' }));
    expect(other).toMatchObject({ text: 'other is fine', provider: 'first' });
  });

  it('wait for the cool-down when every breaker is open, then probe and succeed', async () => {
    const { gateway, clock, sleeps } = twins({ sleepAdvancesClock: true });
    const pinned = ask({ model: 'first/model' });
    // Both deployments of the model fail twice, 5 s apart: both breakers open at T + 5 s.
    for (let round = 0; round < 2; round += 1) {
      primary.enqueue({ kind: 'status', status: 500 });
      secondary.enqueue({ kind: 'status', status: 500 });
      await expect(gateway.generate(pinned)).rejects.toMatchObject({
        code: 'LLM_PROVIDER_FAILED',
      });
      if (round === 0) clock.now += 5_000;
    }
    expect(gateway.deploymentBreakerStates()).toMatchObject({
      'first/model@first': 'open',
      'first/model@twin': 'open',
    });
    const sentBefore = primary.requests.length + secondary.requests.length;

    clock.now += 10_000;
    primary.enqueue({ kind: 'reply', reply: { text: 'probe answered' } });
    const result = await gateway.generate(pinned);
    // It slept exactly until the cool-downs ended (30 s after the breakers opened), once.
    expect(sleeps).toEqual([20_000]);
    expect(result).toMatchObject({ text: 'probe answered', provider: 'first', attempts: 1 });
    expect(primary.requests.length + secondary.requests.length).toBe(sentBefore + 1);
    expect(gateway.deploymentBreakerStates()).toMatchObject({
      'first/model@first': 'closed',
      'first/model@twin': 'half-open',
    });
  });

  it('let a step whose models are all behind open breakers wait and succeed, spending no attempt', async () => {
    const { gateway, clock, sleeps } = twins({ sleepAdvancesClock: true });
    const pinned = ask({ model: 'first/model' });
    for (let round = 0; round < 2; round += 1) {
      primary.enqueue({ kind: 'status', status: 500 });
      secondary.enqueue({ kind: 'status', status: 500 });
      await expect(gateway.generate(pinned)).rejects.toMatchObject({
        code: 'LLM_PROVIDER_FAILED',
      });
    }
    clock.now += 1_000;
    primary.enqueue({ kind: 'reply', reply: { text: 'after the cool-down' } });
    const handler: StepHandler = async () => ({ result: (await gateway.generate(pinned)).text });
    const worker = createWorker({ database, handler, logger: createLogger({ level: 'silent' }) });
    const owner = await createOrgAndProject(database.db, 'breakers');
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await worker.start();
    try {
      await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      const step = await waitFor('the step done', async () => {
        const [row] = await database.db
          .select()
          .from(tables.steps)
          .where(eq(tables.steps.id, stepIds[0]!));
        return row!.status === 'done' ? row : null;
      });
      expect(step).toMatchObject({ result: 'after the cool-down', attempts: 1, failures: 0 });
      expect(sleeps).toEqual([29_000]);
    } finally {
      await worker.stop();
    }
  });

  it('fail with LLM_PROVIDER_UNAVAILABLE, sending nothing, when the cool-down is longer than the wait allowed', async () => {
    const { gateway, sleeps } = twins({ sleepAdvancesClock: true }, { maxWaitMs: 10_000 });
    primary.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const alone = ask({ model: 'first/other' });
    for (let call = 0; call < 2; call += 1) {
      await expect(gateway.generate(alone)).rejects.toMatchObject({ code: 'LLM_PROVIDER_FAILED' });
    }
    const sent = primary.requests.length;
    await expect(gateway.generate(alone)).rejects.toMatchObject({
      code: 'LLM_PROVIDER_UNAVAILABLE',
    });
    expect(sleeps).toEqual([]);
    expect(primary.requests.length).toBe(sent);
  });
});
