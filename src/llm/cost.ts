// Prices and token estimates: what a call costs from its usage, and what it may cost before
// it is sent (for budgets and cost ceilings). Pure arithmetic; no I/O.
import type { GenerateRequest, ModelInfo, TokenUsage } from './types.js';

/** Cost in USD of `usage` at `model`'s prices; cached input tokens are billed at the cached price. */
export function costOf(model: ModelInfo, usage: TokenUsage): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedTokens);
  const cost =
    uncached * model.prices.input +
    usage.cachedTokens * model.prices.cachedInput +
    usage.outputTokens * model.prices.output;
  return cost / 1_000_000;
}

/** The output allowance sent (and budgeted) when the caller sets none. */
export const defaultOutputAllowance = 16_384;

/** The max output tokens a call on `model` is sent with, and budgeted for. */
export function outputAllowance(model: ModelInfo, request: GenerateRequest): number {
  return Math.min(model.maxOutputTokens, request.maxOutputTokens ?? defaultOutputAllowance);
}

/** Input tokens guessed from the request's size (about four characters a token). */
export function estimateInputTokens(request: GenerateRequest): number {
  const size =
    JSON.stringify(request.messages).length +
    (request.system?.length ?? 0) +
    (request.tools ? JSON.stringify(request.tools).length : 0);
  return Math.ceil(size / 4);
}

export interface CallEstimate {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** The most a call may consume on `model`: its input and its whole output allowance. */
export function estimateCall(model: ModelInfo, request: GenerateRequest, inputTokens: number) {
  const outputTokens = outputAllowance(model, request);
  const costUsd = costOf(model, { inputTokens, outputTokens, cachedTokens: 0 });
  return { inputTokens, outputTokens, costUsd } satisfies CallEstimate;
}
