// The cadre package's programmatic entry: build the API, the gateway and the orchestration
// pieces in your own process. The CLI (`cadre up`) composes the same parts.
export { buildApp } from './api/index.js';
export type { AppDeps } from './api/index.js';
export { loadConfig, Config } from './config/index.js';
export { connectDatabase, migrate, startEmbeddedPostgres } from './db/index.js';
export { createGateway } from './llm/index.js';
export type { Gateway, GenerateRequest, GenerateResult } from './llm/index.js';
export { createBus } from './bus/index.js';
export { createSandbox } from './sandbox/index.js';
export { createWorkspaces } from './workspace/index.js';
export { createConductor, createWorker } from './orchestrator/index.js';
export { runAgent, builtInRoles } from './agents/index.js';
export { CadreError } from './errors/index.js';
export { createLogger, createMetrics } from './observability/index.js';
