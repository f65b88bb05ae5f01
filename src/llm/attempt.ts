// One attempt: a single request to a single deployment through the AI SDK, with the per-call
// timeout and stalled-stream watchdog. It never retries; the gateway's loop decides that.
import { generateText, jsonSchema, streamText, type ToolSet } from 'ai';
import { CadreError } from '../errors/index.js';
import { outputAllowance } from './cost.js';
import type { Deployment } from './registry.js';
import type {
  FinishReason,
  GatewayStreamEvent,
  GenerateRequest,
  TokenUsage,
  ToolCall,
} from './types.js';

export interface AttemptOutput {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
}

export interface AttemptOptions {
  deployment: Deployment;
  request: GenerateRequest;
  /** Aborts when the caller cancels. */
  signal: AbortSignal;
  timeoutMs: number;
  stallTimeoutMs: number;
  /** Given for streaming calls: receives every event but `finish`. */
  emit?: ((event: GatewayStreamEvent) => void) | undefined;
}

/** Makes one request; throws the provider's error, LLM_TIMEOUT or LLM_STREAM_STALLED. */
export async function runAttempt(options: AttemptOptions): Promise<AttemptOutput> {
  const controller = new AbortController();
  const abort = (reason: unknown) => controller.abort(reason);
  const onCallerAbort = () => abort(options.signal.reason);
  if (options.signal.aborted) onCallerAbort();
  options.signal.addEventListener('abort', onCallerAbort, { once: true });
  const { deployment, timeoutMs } = options;
  const timer = setTimeout(
    () =>
      abort(
        new CadreError(
          'LLM_TIMEOUT',
          `${deployment.id} did not answer within ${timeoutMs} ms (models.timeoutMs).`,
        ),
      ),
    timeoutMs,
  );
  try {
    return options.emit
      ? await streamOnce(options, controller, options.emit)
      : await generateOnce(options, controller.signal);
  } catch (error) {
    // Our own abort reasons (timeout, stall) say more than the SDK's AbortError.
    if (controller.signal.aborted && controller.signal.reason instanceof CadreError) {
      throw controller.signal.reason;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onCallerAbort);
  }
}

function settingsOf(request: GenerateRequest, deployment: Deployment) {
  return {
    model: deployment.endpoint.languageModel(deployment.providerModelId),
    messages: request.messages,
    system: request.system,
    tools: toToolSet(request),
    toolChoice:
      typeof request.toolChoice === 'object'
        ? { type: 'tool' as const, toolName: request.toolChoice.toolName }
        : request.toolChoice,
    temperature: request.temperature,
    maxOutputTokens: outputAllowance(deployment.model, request),
    stopSequences: request.stopSequences,
    seed: request.seed,
    // The gateway's retries are the only ones.
    maxRetries: 0,
  };
}

function toToolSet(request: GenerateRequest): ToolSet | undefined {
  if (!request.tools) return undefined;
  const set: ToolSet = {};
  for (const [name, definition] of Object.entries(request.tools)) {
    set[name] = {
      description: definition.description,
      inputSchema: jsonSchema(definition.inputSchema),
    };
  }
  return set;
}

interface SdkUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  inputTokenDetails?: { cacheReadTokens: number | undefined };
}

function usageOf(usage: SdkUsage | undefined): TokenUsage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cachedTokens: usage?.inputTokenDetails?.cacheReadTokens ?? 0,
  };
}

async function generateOnce(options: AttemptOptions, signal: AbortSignal): Promise<AttemptOutput> {
  const result = await generateText({
    ...settingsOf(options.request, options.deployment),
    abortSignal: signal,
  });
  return {
    text: result.text,
    reasoning: result.reasoningText ?? '',
    toolCalls: result.toolCalls.map((call) => ({
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      input: call.input,
    })),
    finishReason: result.finishReason as FinishReason,
    usage: usageOf(result.usage),
  };
}

async function streamOnce(
  options: AttemptOptions,
  controller: AbortController,
  emit: (event: GatewayStreamEvent) => void,
): Promise<AttemptOutput> {
  const output: AttemptOutput = {
    text: '',
    reasoning: '',
    toolCalls: [],
    finishReason: 'other',
    usage: usageOf(undefined),
  };
  const { deployment, stallTimeoutMs } = options;
  // One timer, pushed back by every part (refresh() re-arms it without a new allocation).
  const stallTimer = setTimeout(() => {
    controller.abort(
      new CadreError(
        'LLM_STREAM_STALLED',
        `${deployment.id} sent nothing for ${stallTimeoutMs} ms in mid-stream (models.stallTimeoutMs).`,
      ),
    );
  }, stallTimeoutMs);
  try {
    const result = streamText({
      ...settingsOf(options.request, deployment),
      abortSignal: controller.signal,
      onError: () => undefined,
    });
    for await (const part of result.fullStream) {
      stallTimer.refresh();
      applyPart(part, output, emit);
      if (part.type === 'abort') throw controller.signal.reason ?? new Error('aborted');
    }
    if (controller.signal.aborted) throw controller.signal.reason;
    return output;
  } finally {
    clearTimeout(stallTimer);
  }
}

type StreamPart =
  ReturnType<typeof streamText>['fullStream'] extends AsyncIterable<infer Part> ? Part : never;

/** Adds one stream part to the output and passes it on; throws a provider's error part. */
function applyPart(
  part: StreamPart,
  output: AttemptOutput,
  emit: (event: GatewayStreamEvent) => void,
) {
  switch (part.type) {
    case 'text-delta':
      output.text += part.text;
      emit({ type: 'text-delta', text: part.text });
      return;
    case 'reasoning-delta':
      output.reasoning += part.text;
      emit({ type: 'reasoning-delta', text: part.text });
      return;
    case 'tool-call': {
      const toolCall = { toolCallId: part.toolCallId, toolName: part.toolName, input: part.input };
      output.toolCalls.push(toolCall);
      emit({ type: 'tool-call', toolCall });
      return;
    }
    case 'finish':
      output.finishReason = part.finishReason as FinishReason;
      output.usage = usageOf(part.totalUsage);
      return;
    case 'error':
      throw part.error;
  }
}
