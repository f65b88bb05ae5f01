// The gateway's public vocabulary: requests, results, stream events, policies and contexts.
// Types only; nothing here may reach a provider or the database.
import type { ModelMessage, JSONSchema7 } from 'ai';
import type { ModelTier, PrivacyClass } from '../config/index.js';

export type { ModelMessage, ModelTier, PrivacyClass };

/** Who a call is made for; every ledger row and budget check uses it. */
export interface CallContext {
  orgId: string;
  projectId?: string | undefined;
  taskId?: string | undefined;
  stepId?: string | undefined;
  agentId?: string | undefined;
}

export type Capability = 'tools' | 'vision' | 'structuredOutput' | 'embeddings';

/** What the caller needs from the model; the router picks one that satisfies it. */
export interface RoutingPolicy {
  /** Pin a model id from the registry (the router still checks privacy and budgets). */
  model?: string | undefined;
  capabilities?: readonly Capability[] | undefined;
  tier?: ModelTier | undefined;
  /** The most this one call may cost, in USD, estimated before sending. */
  maxCostUsd?: number | undefined;
  /** Whether to try the next eligible model when one fails (default true). */
  allowFallback?: boolean | undefined;
}

/** A tool the model may call; the caller runs it and sends the result back. */
export interface ToolDefinition {
  description?: string | undefined;
  inputSchema: JSONSchema7;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { toolName: string };

export interface GenerateRequest {
  messages: ModelMessage[];
  system?: string | undefined;
  tools?: Record<string, ToolDefinition> | undefined;
  toolChoice?: ToolChoice | undefined;
  policy?: RoutingPolicy | undefined;
  context: CallContext;
  temperature?: number | undefined;
  maxOutputTokens?: number | undefined;
  stopSequences?: string[] | undefined;
  seed?: number | undefined;
  /** Whether a deterministic call (temperature 0) may be answered from the cache. */
  useCache?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface ToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

export interface GenerateResult {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
  costUsd: number;
  latencyMs: number;
  model: string;
  provider: string;
  routeReason: string;
  isCacheHit: boolean;
  /** The number of attempts made, over every model tried. */
  attempts: number;
}

/** What stream() yields; `finish` comes last and carries the whole result. */
export type GatewayStreamEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'tool-call'; toolCall: ToolCall }
  | { type: 'finish'; result: GenerateResult };

/** Per-million-token prices in USD. */
export interface ModelPrices {
  input: number;
  output: number;
  cachedInput: number;
}

export interface ModelCapabilities {
  tools: boolean;
  vision: boolean;
  structuredOutput: boolean;
  embeddings: boolean;
}

/** One model of the registry. */
export interface ModelInfo {
  id: string;
  /** The endpoint that serves it by default. */
  endpoint: string;
  providerModelId: string;
  tier: ModelTier;
  contextWindow: number;
  maxOutputTokens: number;
  capabilities: ModelCapabilities;
  prices: ModelPrices;
  /** False when `prices` are 0 only because nobody stated them (a remote server's own model). */
  isPriceKnown?: boolean | undefined;
  privacy: PrivacyClass;
}
