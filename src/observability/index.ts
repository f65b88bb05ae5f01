export { createLogger } from './logger.js';
export type { Logger, CreateLoggerOptions } from './logger.js';
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
