// An in-process GGUF model through node-llama-cpp, an optional dependency imported only when
// a model path is configured. It must never load the package at start-up or fake an answer.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from '@ai-sdk/provider';
import { CadreError } from '../errors/index.js';

/** The part of node-llama-cpp's API this adapter uses. */
interface LlamaModule {
  getLlama(): Promise<{ loadModel(options: { modelPath: string }): Promise<LlamaModel> }>;
  LlamaChatSession: new (options: { contextSequence: unknown }) => LlamaSession;
}
interface LlamaModel {
  tokenize(text: string): readonly unknown[];
  createContext(): Promise<{ getSequence(): { dispose(): void } }>;
}
type HistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };
interface LlamaSession {
  setChatHistory(history: HistoryItem[]): void;
  prompt(
    text: string,
    options: {
      maxTokens?: number;
      temperature?: number;
      signal?: AbortSignal;
      onTextChunk?: (text: string) => void;
    },
  ): Promise<string>;
  dispose(): void;
}

export const llamaCppPackage = 'node-llama-cpp';

/** Imports node-llama-cpp, or throws LLM_DEPENDENCY_MISSING saying how to install it. */
export async function importLlamaCpp(
  importModule: (name: string) => Promise<unknown> = (name) => import(name),
): Promise<LlamaModule> {
  try {
    return (await importModule(llamaCppPackage)) as LlamaModule;
  } catch (error) {
    throw new CadreError(
      'LLM_DEPENDENCY_MISSING',
      `The local model needs the optional package ${llamaCppPackage}, which is not installed. ` +
        `Install it next to Cadre with "npm install ${llamaCppPackage}" (it downloads a prebuilt ` +
        'llama.cpp binary), or remove models.localModelPath / CADRE_LLAMA_CPP_MODEL_PATH.',
      { cause: error, details: { package: llamaCppPackage } },
    );
  }
}

export interface LlamaCppModelOptions {
  modelPath: string;
  modelId: string;
  importModule?: (name: string) => Promise<unknown>;
}

/** A LanguageModelV3 over a GGUF file; the package and the model load on the first call. */
export function createLlamaCppModel({
  modelPath,
  modelId,
  importModule,
}: LlamaCppModelOptions): LanguageModelV3 {
  let loading: Promise<{ module: LlamaModule; model: LlamaModel }> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const load = () => {
    loading ??= (async () => {
      const module = await importLlamaCpp(importModule);
      const llama = await module.getLlama();
      return { module, model: await llama.loadModel({ modelPath }) };
    })();
    loading.catch(() => (loading = undefined));
    return loading;
  };
  // One sequence at a time: a context holds a single conversation.
  const run = async (options: LanguageModelV3CallOptions, onText?: (text: string) => void) => {
    const { module, model } = await load();
    const turn = queue.then(() => promptOnce(module, model, options, onText));
    queue = turn.catch(() => undefined);
    return turn;
  };
  return {
    specificationVersion: 'v3',
    provider: 'llama-cpp',
    modelId,
    supportedUrls: {},
    doGenerate: async (options) => toGenerateResult(await run(options)),
    doStream: async (options) => ({ stream: streamOf((onText) => run(options, onText)) }),
  };
}

interface LlamaTurn {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

async function promptOnce(
  module: LlamaModule,
  model: LlamaModel,
  options: LanguageModelV3CallOptions,
  onText?: (text: string) => void,
): Promise<LlamaTurn> {
  const { history, last } = toHistory(options.prompt);
  const context = await model.createContext();
  const sequence = context.getSequence();
  const session = new module.LlamaChatSession({ contextSequence: sequence });
  try {
    session.setChatHistory(history);
    const text = await session.prompt(last, {
      maxTokens: options.maxOutputTokens,
      temperature: options.temperature,
      signal: options.abortSignal,
      onTextChunk: onText,
    });
    const inputTokens = model.tokenize(JSON.stringify(history) + last).length;
    return { text, inputTokens, outputTokens: model.tokenize(text).length };
  } finally {
    session.dispose();
    sequence.dispose();
  }
}

function toHistory(prompt: LanguageModelV3Prompt): { history: HistoryItem[]; last: string } {
  const history: HistoryItem[] = [];
  for (const message of prompt) {
    if (message.role === 'system') history.push({ type: 'system', text: message.content });
    const text =
      message.role === 'system'
        ? ''
        : message.content
            .map((part) => ('text' in part && typeof part.text === 'string' ? part.text : ''))
            .join('');
    if (message.role === 'user') history.push({ type: 'user', text });
    if (message.role === 'assistant') history.push({ type: 'model', response: [text] });
  }
  const final = history.at(-1);
  if (final?.type !== 'user') return { history, last: '' };
  history.pop();
  return { history, last: final.text };
}

function usageOf(turn: LlamaTurn) {
  return {
    inputTokens: {
      total: turn.inputTokens,
      noCache: turn.inputTokens,
      cacheRead: 0,
      cacheWrite: 0,
    },
    outputTokens: { total: turn.outputTokens, text: turn.outputTokens, reasoning: 0 },
  };
}

function toGenerateResult(turn: LlamaTurn): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'text', text: turn.text }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: usageOf(turn),
    warnings: [],
  };
}

function streamOf(
  start: (onText: (text: string) => void) => Promise<LlamaTurn>,
): LanguageModelV3StreamResult['stream'] {
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      controller.enqueue({ type: 'stream-start', warnings: [] });
      controller.enqueue({ type: 'text-start', id: 'text' });
      start((delta) => controller.enqueue({ type: 'text-delta', id: 'text', delta })).then(
        (turn) => {
          controller.enqueue({ type: 'text-end', id: 'text' });
          const finishReason = { unified: 'stop', raw: 'stop' } as const;
          controller.enqueue({ type: 'finish', finishReason, usage: usageOf(turn) });
          controller.close();
        },
        (error: unknown) => {
          controller.enqueue({ type: 'error', error });
          controller.close();
        },
      );
    },
  });
}
