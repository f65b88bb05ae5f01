// Picks the bus the configuration asks for.
import type { Config } from '../config/index.js';
import type { ConnectionLog, Database } from '../db/index.js';
import type { Bus } from './bus.js';
import { createInProcessBus } from './in-process.js';
import { createPostgresBus } from './postgres.js';
import { createRabbitMqBus } from './rabbitmq.js';

/**
 * RabbitMQ when CADRE_RABBITMQ_URL is set; otherwise Postgres notifications when a database
 * is given (so that `cadre worker` processes reach `cadre up` live), else in-process only.
 * `log` hears of lost and restored broker connections.
 */
export function createBus(config: Config, database?: Database, log?: ConnectionLog): Promise<Bus> {
  if (config.rabbitmq.url) return createRabbitMqBus(config.rabbitmq.url, { log });
  return database ? createPostgresBus(database) : Promise.resolve(createInProcessBus());
}
