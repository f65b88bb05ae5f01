import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import type { GatewayStreamEvent } from '../../src/llm/index.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { closeHarnesses, createHarness, createLlmTestDatabase } from './helpers.js';

let database: Database;
let orgId: string;
beforeAll(async () => {
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(async () => {
  await closeHarnesses();
  await database.close();
});

describe('the scripted model through the gateway', () => {
  it('replays text, streams and tool calls, records every call, and fails loudly when its script runs out', async () => {
    const model = createScriptedModel({
      turns: [
        {
          text: ['Reading ', 'the file.'],
          toolCalls: [{ toolName: 'readFile', input: { path: 'a.ts' }, toolCallId: 't1' }],
          usage: { inputTokens: 12, outputTokens: 7 },
        },
        { text: 'Done.' },
      ],
    });
    const { gateway } = createHarness({ database, models: {}, providers: [model.asProvider()] });
    const tools = {
      readFile: {
        inputSchema: { type: 'object' as const, properties: { path: { type: 'string' as const } } },
      },
    };
    const events: GatewayStreamEvent[] = [];
    for await (const event of gateway.stream({
      messages: [{ role: 'user', content: 'go' }],
      tools,
      context: { orgId },
    })) {
      events.push(event);
    }
    expect(events.slice(0, -1)).toEqual([
      { type: 'text-delta', text: 'Reading ' },
      { type: 'text-delta', text: 'the file.' },
      {
        type: 'tool-call',
        toolCall: { toolCallId: 't1', toolName: 'readFile', input: { path: 'a.ts' } },
      },
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'finish',
      result: {
        model: 'scripted/scripted',
        finishReason: 'tool-calls',
        usage: { inputTokens: 12, outputTokens: 7 },
      },
    });

    const second = await gateway.generate({
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', toolCallId: 't1', toolName: 'readFile', input: { path: 'a.ts' } },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 't1',
              toolName: 'readFile',
              output: { type: 'text', value: 'export {}' },
            },
          ],
        },
      ],
      tools,
      context: { orgId },
    });
    expect(second.text).toBe('Done.');
    expect(model.calls).toHaveLength(2);
    expect(model.calls[1]!.prompt.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
    ]);
    expect(model.remaining).toBe(0);

    await expect(
      gateway.generate({ messages: [{ role: 'user', content: 'more' }], context: { orgId } }),
    ).rejects.toMatchObject({
      code: 'LLM_SCRIPT_EXHAUSTED',
      message: expect.stringContaining('called 3 times'),
    });
  });
});

describe('scripted failures', () => {
  it('throws a scripted error, and the gateway falls back to the next scripted model', async () => {
    const flaky = createScriptedModel({
      modelId: 'flaky',
      turns: [{ error: new Error('scripted outage') }],
      info: { prices: { input: 0, output: 0, cachedInput: 0 } },
    });
    const steady = createScriptedModel({
      modelId: 'steady',
      provider: 'other',
      turns: [{ text: 'steady answer' }],
      info: { prices: { input: 1, output: 1, cachedInput: 1 } },
    });
    const { gateway } = createHarness({
      database,
      models: {},
      providers: [flaky.asProvider(), steady.asProvider()],
    });
    const result = await gateway.generate({
      messages: [{ role: 'user', content: 'hi' }],
      context: { orgId },
    });
    expect(result).toMatchObject({ text: 'steady answer', model: 'other/steady', attempts: 2 });
    expect(result.routeReason).toContain('chose scripted/flaky@scripted');
    expect([flaky.calls.length, steady.calls.length]).toEqual([1, 1]);
  });
});

describe('with no model configured', () => {
  it('says how to add one, and every call fails with LLM_NOT_CONFIGURED and the same guidance', async () => {
    const { gateway } = createHarness({ database, models: {} });
    expect(gateway.isConfigured()).toBe(false);
    const guidance = gateway.setupGuidance()!;
    expect(guidance).toContain('ANTHROPIC_API_KEY');
    expect(guidance).toContain('OLLAMA_HOST');
    await expect(
      gateway.generate({ messages: [{ role: 'user', content: 'hi' }], context: { orgId } }),
    ).rejects.toMatchObject({
      code: 'LLM_NOT_CONFIGURED',
      message: guidance,
    });
  });
});
