export type { Bus, BusHealth, BusMessage, RequestOptions, Subscription } from './bus.js';
export { topicMatches } from './bus.js';
export { createBus } from './create-bus.js';
export { createInProcessBus } from './in-process.js';
export { createPostgresBus } from './postgres.js';
export { createRabbitMqBus } from './rabbitmq.js';
