import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { tables, type Database } from '../../src/db/index.js';
import type { GatewayStreamEvent } from '../../src/llm/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import {
  closeHarnesses,
  createHarness,
  createLlmTestDatabase,
  fakeModel,
  type GatewayHarness,
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
  // Every scripted behaviour must have been used: a leftover means a test did not do what it says.
  expect(primary.remaining).toBe(0);
  expect(secondary.remaining).toBe(0);
});

function harnessWith(settings: Record<string, unknown> = {}): GatewayHarness {
  return createHarness({
    database,
    models: {
      endpoints: {
        first: { kind: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'k', privacy: 'cloud' },
        second: {
          kind: 'anthropic',
          baseUrl: `${secondary.url}/v1`,
          apiKey: 'k',
          privacy: 'cloud',
        },
      },
      catalog: [
        fakeModel('first/model', 'first', { prices: { input: 1, output: 1 } }),
        fakeModel('second/model', 'second', { prices: { input: 2, output: 2 } }),
      ],
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 5_000 },
      breaker: { failureThreshold: 3, cooldownMs: 60_000 },
      stallTimeoutMs: 300,
      ...settings,
    },
  });
}

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('retries', () => {
  it('waits as long as Retry-After says after a 429, then succeeds on the same model', async () => {
    const { gateway, sleeps } = harnessWith();
    primary.enqueue(
      { kind: 'status', status: 429, retryAfter: '2' },
      { kind: 'reply', reply: { text: 'ok' } },
    );
    const result = await gateway.generate({ ...ask, context: { orgId } });
    expect(result).toMatchObject({ text: 'ok', model: 'first/model', attempts: 2 });
    expect(sleeps).toEqual([2_000]);
  });

  it('backs off exponentially with jitter on 500 and a reset connection', async () => {
    const { gateway, sleeps } = harnessWith();
    primary.enqueue(
      { kind: 'status', status: 500 },
      { kind: 'reset' },
      { kind: 'reply', reply: { text: 'third time' } },
    );
    const result = await gateway.generate({ ...ask, context: { orgId } });
    expect(result.text).toBe('third time');
    // random() is 0.5: half the ceiling plus a quarter of it.
    expect(sleeps).toEqual([75, 150]);
  });

  it('falls back to the next model when one keeps failing, and records every attempt', async () => {
    const { gateway } = harnessWith();
    const taskId = crypto.randomUUID();
    primary.enqueue(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
    );
    secondary.enqueue({ kind: 'reply', reply: { text: 'from the fallback' } });
    const result = await gateway.generate({ ...ask, context: { orgId, taskId } });
    expect(result).toMatchObject({ text: 'from the fallback', model: 'second/model', attempts: 4 });
    await gateway.flush();
    const rows = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, taskId))
      .orderBy(tables.llmCalls.createdAt);
    expect(rows.map((row) => [row.model, row.status, row.errorCode])).toEqual([
      ['first/model', 'error', 'HTTP_503'],
      ['first/model', 'error', 'HTTP_503'],
      ['first/model', 'error', 'HTTP_503'],
      ['second/model', 'ok', null],
    ]);
    expect(rows.at(-1)!.routeReason).toContain('after first/model@first: HTTP_503');
  });

  it('does not retry malformed JSON on the same model but falls back', async () => {
    const { gateway } = harnessWith();
    primary.enqueue({ kind: 'malformed' });
    secondary.enqueue({ kind: 'reply', reply: { text: 'sane' } });
    const result = await gateway.generate({ ...ask, context: { orgId } });
    expect(result).toMatchObject({ text: 'sane', model: 'second/model', attempts: 2 });
  });

  it('does not fall back when the policy forbids it', async () => {
    const { gateway } = harnessWith({ retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    primary.enqueue({ kind: 'status', status: 500 });
    const sentToSecond = secondary.requests.length;
    await expect(
      gateway.generate({ ...ask, policy: { allowFallback: false }, context: { orgId } }),
    ).rejects.toMatchObject({ code: 'LLM_PROVIDER_FAILED' });
    expect(secondary.requests.length).toBe(sentToSecond);
  });
});

describe('the circuit breaker', () => {
  it('opens after repeated failures, sends nothing to that provider while open, and closes after a trial', async () => {
    const { gateway, clock, registry } = harnessWith({
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const pinned = {
      ...ask,
      policy: { model: 'first/model', allowFallback: false },
      context: { orgId },
    };
    primary.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500 })));
    for (let call = 0; call < 3; call += 1) {
      await expect(gateway.generate(pinned)).rejects.toMatchObject({ code: 'LLM_PROVIDER_FAILED' });
    }
    expect(gateway.breakerStates().first).toBe('open');
    expect(await registry.getSingleMetricAsString('cadre_llm_breaker_state')).toContain(
      'endpoint="first",deployment="first/model@first"} 2',
    );
    const sentBefore = primary.requests.length;
    await expect(gateway.generate(pinned)).rejects.toMatchObject({
      code: 'LLM_PROVIDER_UNAVAILABLE',
    });
    secondary.enqueue({ kind: 'reply', reply: { text: 'b' } });
    const result = await gateway.generate({ ...ask, context: { orgId } });
    expect(result.model).toBe('second/model');
    expect(result.routeReason).toContain('first/model@first (breaker open)');
    expect(primary.requests.length).toBe(sentBefore);

    clock.now += 60_000;
    expect(gateway.breakerStates().first).toBe('half-open');
    primary.enqueue({ kind: 'reply', reply: { text: 'recovered' } });
    expect((await gateway.generate(pinned)).text).toBe('recovered');
    expect(gateway.breakerStates().first).toBe('closed');
  });
});

describe('streams', () => {
  it('detects a stalled stream before any output and retries it', async () => {
    const { gateway } = harnessWith();
    primary.enqueue(
      { kind: 'stall', reply: { text: ['never'] }, afterPieces: 0 },
      { kind: 'reply', reply: { text: ['fine', '!'] } },
    );
    const events: GatewayStreamEvent[] = [];
    for await (const event of gateway.stream({ ...ask, context: { orgId } })) events.push(event);
    expect(events.slice(0, -1)).toEqual([
      { type: 'text-delta', text: 'fine' },
      { type: 'text-delta', text: '!' },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'finish', result: { attempts: 2 } });
  });

  it('fails with LLM_STREAM_STALLED when a stream stalls after output (no silent retry)', async () => {
    const { gateway } = harnessWith();
    primary.enqueue({ kind: 'stall', reply: { text: ['half', 'never'] }, afterPieces: 1 });
    const events: GatewayStreamEvent[] = [];
    const consume = async () => {
      for await (const event of gateway.stream({ ...ask, context: { orgId } })) events.push(event);
    };
    await expect(consume()).rejects.toMatchObject({ code: 'LLM_STREAM_STALLED' });
    expect(events).toEqual([{ type: 'text-delta', text: 'half' }]);
  });

  it('cancels through the AbortSignal, stops the request and records it', async () => {
    const { gateway } = harnessWith({ stallTimeoutMs: 60_000 });
    const taskId = crypto.randomUUID();
    primary.enqueue({ kind: 'stall', reply: { text: ['start', 'never'] }, afterPieces: 1 });
    const controller = new AbortController();
    const events: GatewayStreamEvent[] = [];
    const consume = async () => {
      for await (const event of gateway.stream({
        ...ask,
        context: { orgId, taskId },
        signal: controller.signal,
      })) {
        events.push(event);
        controller.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'LLM_CANCELLED' });
    expect(events).toEqual([{ type: 'text-delta', text: 'start' }]);
    await gateway.flush();
    const rows = await database.db
      .select()
      .from(tables.llmCalls)
      .where(and(eq(tables.llmCalls.taskId, taskId)));
    expect(rows.map((row) => row.status)).toEqual(['cancelled']);
  });

  it('cancels the call when the consumer stops reading the stream', async () => {
    const { gateway } = harnessWith({ stallTimeoutMs: 60_000 });
    const taskId = crypto.randomUUID();
    primary.enqueue({ kind: 'stall', reply: { text: ['first', 'never'] }, afterPieces: 1 });
    const events: GatewayStreamEvent[] = [];
    for await (const event of gateway.stream({ ...ask, context: { orgId, taskId } })) {
      events.push(event);
      break;
    }
    expect(events).toEqual([{ type: 'text-delta', text: 'first' }]);
    // The abandoned call is recorded as cancelled once its request is torn down.
    const deadline = Date.now() + 5_000;
    let statuses: string[] = [];
    while (statuses.length === 0 && Date.now() < deadline) {
      await gateway.flush();
      const rows = await database.db
        .select()
        .from(tables.llmCalls)
        .where(eq(tables.llmCalls.taskId, taskId));
      statuses = rows.map((row) => row.status);
      if (statuses.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(statuses).toEqual(['cancelled']);
  });

  it('times out a call that takes longer than timeoutMs', async () => {
    const { gateway } = harnessWith({
      timeoutMs: 200,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    primary.enqueue({ kind: 'stall', reply: { text: ['a', 'b'] }, afterPieces: 0 });
    await expect(
      gateway.generate({ ...ask, policy: { allowFallback: false }, context: { orgId } }),
    ).rejects.toMatchObject({ code: 'LLM_TIMEOUT' });
  });
});

describe('load balancing', () => {
  it('spreads calls over the deployments of one model, and falls back to the twin first', async () => {
    const draws = [0.9, 0.1, 0.1, 0.9];
    let draw = 0;
    const { gateway } = createHarness({
      database,
      random: () => draws[draw++ % draws.length]!,
      models: {
        endpoints: {
          first: { kind: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'k' },
          twin: { kind: 'openai', baseUrl: `${secondary.url}/v1`, apiKey: 'k' },
        },
        catalog: [fakeModel('first/model', 'first')],
        deployments: [{ model: 'first/model', endpoint: 'twin', weight: 3 }],
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      },
    });
    primary.enqueue({ kind: 'reply', reply: { text: 'from first' } });
    secondary.enqueue({ kind: 'reply', reply: { text: 'from twin' } });
    const answers = [
      await gateway.generate({ ...ask, context: { orgId } }),
      await gateway.generate({ ...ask, context: { orgId } }),
    ];
    expect(answers.map((answer) => answer.text)).toEqual(['from first', 'from twin']);
    expect(answers.every((answer) => answer.model === 'first/model')).toBe(true);
    // Each went straight to its deployment: no failure, no fallback.
    expect(answers.map((answer) => [answer.provider, answer.attempts])).toEqual([
      ['first', 1],
      ['twin', 1],
    ]);

    primary.enqueue({ kind: 'status', status: 500 });
    secondary.enqueue({ kind: 'reply', reply: { text: 'twin covers' } });
    const covered = await gateway.generate({ ...ask, context: { orgId } });
    expect(covered).toMatchObject({ text: 'twin covers', model: 'first/model', provider: 'twin' });
  });
});
