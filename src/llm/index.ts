// The LLM gateway's public surface: everything outside src/llm/ imports from here.
export { createGateway } from './gateway.js';
export type { Gateway, CreateGatewayOptions } from './gateway.js';
export { modelSetupGuidance, notConfiguredError } from './setup-guidance.js';
export { askExperts, readChoice, lexicalAgreement } from './experts.js';
export type {
  Aggregation,
  ExpertAnswer,
  ExpertsRequest,
  ExpertsResult,
  ExpertsGateway,
} from './experts.js';
export { defaultModels } from './default-models.js';
export { createModelRegistry } from './registry.js';
export type { Deployment, ListedModel, ModelRegistry } from './registry.js';
export { createEndpoints } from './providers.js';
export type { Endpoint, ProviderPlugin } from './providers.js';
export { importLlamaCpp, createLlamaCppModel, llamaCppPackage } from './llama-cpp.js';
export { createCircuitBreaker } from './circuit-breaker.js';
export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker.js';
export { backoffDelay, parseRetryAfter, classifyFailure, sleepWithSignal } from './retry.js';
export { isPermittedByPrivacy, route } from './router.js';
export { costOf } from './cost.js';
export { cacheKey } from './cache.js';
export type { Budget, BudgetInput, BudgetPeriod, BudgetScope } from './budgets.js';
export type { SpendGroup, SpendQuery, SpendRow } from './spend.js';
export { createLlmMetrics } from './metrics.js';
export type { LlmMetrics } from './metrics.js';
export type {
  CallContext,
  Capability,
  FinishReason,
  GatewayStreamEvent,
  GenerateRequest,
  GenerateResult,
  ModelCapabilities,
  ModelInfo,
  ModelMessage,
  ModelPrices,
  ModelTier,
  PrivacyClass,
  RoutingPolicy,
  TokenUsage,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from './types.js';
