// Picks the bus the configuration asks for.
import type { Config } from '../config/index.js';
import type { Bus } from './bus.js';
import { createInProcessBus } from './in-process.js';
import { createRabbitMqBus } from './rabbitmq.js';

/** RabbitMQ when CADRE_RABBITMQ_URL is set, else the in-process bus. */
export function createBus(config: Config): Promise<Bus> {
  return config.rabbitmq.url
    ? createRabbitMqBus(config.rabbitmq.url)
    : Promise.resolve(createInProcessBus());
}
