// The scripted model for tests (exported from cadre/testing): an AI SDK LanguageModelV3 that
// replays queued turns, records every call, and fails loudly when its script runs out. It is
// the one place in Cadre that returns canned text, and only what a test scripted.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { CadreError } from '../errors/index.js';
import type { ProviderPlugin } from '../llm/index.js';
import type { ModelInfo } from '../llm/index.js';

/** One scripted model turn. */
export interface ScriptedTurn {
  /** The text, streamed as the given pieces when an array. */
  text?: string | string[];
  reasoning?: string;
  toolCalls?: Array<{ toolName: string; input: unknown; toolCallId?: string }>;
  usage?: { inputTokens?: number; outputTokens?: number; cachedTokens?: number };
  /** Throw this instead of answering (e.g. to test fallback). */
  error?: Error;
}

export interface ScriptedModelOptions {
  /** The model id in the registry is `<provider>/<modelId>`. */
  modelId?: string;
  provider?: string;
  turns?: ScriptedTurn[];
  /** Registry fields to override (tier, prices, capabilities, privacy). */
  info?: Partial<Omit<ModelInfo, 'id' | 'endpoint' | 'providerModelId'>>;
}

export interface ScriptedModel extends LanguageModelV3 {
  /** Every call's options, in order, as the AI SDK sent them. */
  readonly calls: LanguageModelV3CallOptions[];
  /** Turns not yet replayed. */
  readonly remaining: number;
  /** Queues more turns. */
  push(...turns: ScriptedTurn[]): void;
  /** The registry id to pin in a policy: `<provider>/<modelId>`. */
  readonly id: string;
  /** The provider to pass to createGateway({ providers: [...] }). */
  asProvider(): ProviderPlugin;
}

/** A scripted model; pass `model.asProvider()` to createGateway and pin `model.id`. */
export function createScriptedModel({
  modelId = 'scripted',
  provider = 'scripted',
  turns = [],
  info = {},
}: ScriptedModelOptions = {}): ScriptedModel {
  const queue = [...turns];
  const calls: LanguageModelV3CallOptions[] = [];
  const next = (options: LanguageModelV3CallOptions): ScriptedTurn => {
    calls.push(options);
    const turn = queue.shift();
    if (!turn) {
      throw new CadreError(
        'LLM_SCRIPT_EXHAUSTED',
        `Scripted model ${provider}/${modelId} was called ${calls.length} times but its script has only ${calls.length - 1} turn(s); push more turns.`,
      );
    }
    if (turn.error) throw turn.error;
    return turn;
  };
  const registryInfo: ModelInfo = {
    id: `${provider}/${modelId}`,
    endpoint: provider,
    providerModelId: modelId,
    tier: 'balanced',
    contextWindow: 128_000,
    maxOutputTokens: 8_192,
    capabilities: { tools: true, vision: false, structuredOutput: true, embeddings: false },
    prices: { input: 0, output: 0, cachedInput: 0 },
    privacy: 'local',
    ...info,
  };
  const model: ScriptedModel = {
    specificationVersion: 'v3',
    provider,
    modelId,
    supportedUrls: {},
    calls,
    id: registryInfo.id,
    get remaining() {
      return queue.length;
    },
    push: (...more) => void queue.push(...more),
    doGenerate: async (options) => generateResult(next(options), calls.length),
    doStream: async (options) => ({ stream: streamOf(next(options), calls.length) }),
    asProvider: () => ({
      name: provider,
      privacy: registryInfo.privacy,
      languageModel: () => model,
      models: [registryInfo],
    }),
  };
  return model;
}

function usageOf(turn: ScriptedTurn) {
  const input = turn.usage?.inputTokens ?? 0;
  const cached = turn.usage?.cachedTokens ?? 0;
  const output = turn.usage?.outputTokens ?? 0;
  return {
    inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

function finishOf(turn: ScriptedTurn) {
  const unified = turn.toolCalls?.length ? 'tool-calls' : 'stop';
  return { unified, raw: unified } as const;
}

function toolCallsOf(turn: ScriptedTurn, callNumber: number) {
  return (turn.toolCalls ?? []).map((call, index) => ({
    type: 'tool-call' as const,
    toolCallId: call.toolCallId ?? `call_${callNumber}_${index}`,
    toolName: call.toolName,
    input: JSON.stringify(call.input),
  }));
}

function generateResult(turn: ScriptedTurn, callNumber: number): LanguageModelV3GenerateResult {
  const content: LanguageModelV3Content[] = [];
  if (turn.reasoning) content.push({ type: 'reasoning', text: turn.reasoning });
  const text = Array.isArray(turn.text) ? turn.text.join('') : turn.text;
  if (text) content.push({ type: 'text', text });
  content.push(...toolCallsOf(turn, callNumber));
  return { content, finishReason: finishOf(turn), usage: usageOf(turn), warnings: [] };
}

function streamOf(
  turn: ScriptedTurn,
  callNumber: number,
): ReadableStream<LanguageModelV3StreamPart> {
  const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
  if (turn.reasoning) {
    parts.push({ type: 'reasoning-start', id: 'r' });
    parts.push({ type: 'reasoning-delta', id: 'r', delta: turn.reasoning });
    parts.push({ type: 'reasoning-end', id: 'r' });
  }
  const pieces = Array.isArray(turn.text) ? turn.text : turn.text ? [turn.text] : [];
  if (pieces.length) {
    parts.push({ type: 'text-start', id: 't' });
    for (const delta of pieces) parts.push({ type: 'text-delta', id: 't', delta });
    parts.push({ type: 'text-end', id: 't' });
  }
  parts.push(...toolCallsOf(turn, callNumber));
  parts.push({ type: 'finish', finishReason: finishOf(turn), usage: usageOf(turn) });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
