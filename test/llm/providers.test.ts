import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
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

let server: FakeModelServer;
let database: Database;
let orgId: string;
let harness: GatewayHarness;

const kinds = ['openai', 'openai-responses', 'anthropic', 'openai-compatible', 'google'] as const;

beforeAll(async () => {
  server = await createFakeModelServer();
  ({ database, orgId } = await createLlmTestDatabase());
  harness = createHarness({
    database,
    models: {
      endpoints: Object.fromEntries(
        kinds.map((kind) => [
          kind,
          {
            kind,
            baseUrl: `${server.url}/${kind === 'google' ? 'v1beta' : 'v1'}`,
            apiKey: 'test-key',
            privacy: 'cloud',
          },
        ]),
      ),
      catalog: kinds.map((kind) => fakeModel(`${kind}/fake`, kind)),
    },
  });
});
afterAll(async () => {
  await harness.gateway.close();
  await server.close();
  await closeHarnesses();
  await database.close();
});

const tools = {
  readFile: {
    description: 'Reads a file',
    inputSchema: { type: 'object' as const, properties: { path: { type: 'string' as const } } },
  },
};

async function collect(events: AsyncIterable<GatewayStreamEvent>) {
  const seen: GatewayStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe.each(kinds)('the %s protocol through the real provider', (kind) => {
  const model = `${kind}/fake`;
  // Gemini's protocol has no tool call ids; its provider makes them up.
  const idOf = (id: string) => (kind === 'google' ? expect.any(String) : id);
  const pathOf = {
    openai: '/v1/chat/completions',
    'openai-compatible': '/v1/chat/completions',
    'openai-responses': '/v1/responses',
    anthropic: '/v1/messages',
    google: '/v1beta/models/fake-model:generateContent',
  }[kind];

  it('generates text, counts usage and cost, and writes the ledger row', async () => {
    const context = {
      orgId,
      taskId: crypto.randomUUID(),
      stepId: crypto.randomUUID(),
      agentId: crypto.randomUUID(),
    };
    server.enqueue({
      kind: 'reply',
      reply: { text: 'Hello there', usage: { input: 1000, output: 500 } },
    });
    const before = server.requests.length;
    const result = await harness.gateway.generate({
      messages: [{ role: 'user', content: 'Say hello' }],
      policy: { model },
      context,
    });
    expect(result).toMatchObject({
      text: 'Hello there',
      model,
      provider: kind,
      isCacheHit: false,
      attempts: 1,
    });
    expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 500, cachedTokens: 0 });
    expect(result.costUsd).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 10);
    expect(server.requests.slice(before).map((request) => request.path)).toEqual([pathOf]);
    await harness.gateway.flush();
    const rows = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, context.taskId));
    expect(rows.at(-1)).toMatchObject({
      ...context,
      projectId: null,
      provider: kind,
      status: 'ok',
      inputTokens: 1000,
      outputTokens: 500,
      isCacheHit: false,
      costUsd: '0.00200000',
    });
    expect(rows).toHaveLength(1);
    expect(rows.at(-1)!.routeReason).toContain(`chose ${model}@${kind}`);
    const calls = await harness.registry.getSingleMetricAsString('cadre_llm_calls_total');
    expect(calls).toContain(
      `cadre_llm_calls_total{provider="${kind}",model="${model}",status="ok"}`,
    );
    const tokens = await harness.registry.getSingleMetricAsString('cadre_llm_tokens_total');
    expect(tokens).toMatch(new RegExp(`provider="${kind}",model="${model}",kind="input"} \\d+`));
  });

  it('streams text deltas and tool calls, ending with the whole result', async () => {
    server.enqueue({
      kind: 'reply',
      reply: {
        text: ['Let me ', 'look.'],
        toolCalls: [{ id: 'call_1', name: 'readFile', arguments: '{"path":"a.txt"}' }],
        usage: { input: 20, output: 8 },
      },
    });
    const events = await collect(
      harness.gateway.stream({
        messages: [{ role: 'user', content: 'Read a.txt' }],
        tools,
        policy: { model },
        context: { orgId },
      }),
    );
    const finish = events.at(-1);
    expect(events.slice(0, -1)).toEqual([
      { type: 'text-delta', text: 'Let me ' },
      { type: 'text-delta', text: 'look.' },
      {
        type: 'tool-call',
        toolCall: { toolCallId: idOf('call_1'), toolName: 'readFile', input: { path: 'a.txt' } },
      },
    ]);
    expect(finish).toMatchObject({
      type: 'finish',
      result: {
        text: 'Let me look.',
        finishReason: 'tool-calls',
        usage: { inputTokens: 20, outputTokens: 8 },
      },
    });
    const sent = server.requests.at(-1)!.body;
    const sentPath = server.requests.at(-1)!.path;
    if (kind === 'google') expect(sentPath).toContain(':streamGenerateContent?alt=sse');
    else expect(sent.stream).toBe(true);
    expect(JSON.stringify(sent.tools)).toContain('readFile');
  });

  it('returns tool calls from a non-streaming call', async () => {
    server.enqueue({
      kind: 'reply',
      reply: { toolCalls: [{ id: 'call_2', name: 'readFile', arguments: '{"path":"b.txt"}' }] },
    });
    const result = await harness.gateway.generate({
      messages: [{ role: 'user', content: 'Read b.txt' }],
      tools,
      policy: { model },
      context: { orgId },
    });
    expect(result.toolCalls).toEqual([
      { toolCallId: idOf('call_2'), toolName: 'readFile', input: { path: 'b.txt' } },
    ]);
    expect(result.finishReason).toBe('tool-calls');
  });
});
