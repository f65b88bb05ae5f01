// The bus on RabbitMQ, for Cadre spread over several processes: a topic exchange for events,
// request-reply through direct reply-to, a fanout exchange for broadcasts, and a dead-letter
// exchange that keeps every request whose responder failed. Publishes resolve once the broker
// confirmed them; while it is unreachable they wait (bounded), then fail with BUS_UNAVAILABLE.
// Events and broadcasts go to durable queues as persistent messages and are acknowledged
// only after their handler ran, so a broker restart loses none that the broker confirmed.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { BackoffOptions, ConnectionLog } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Bus } from './bus.js';
import { openRabbitMqConnection } from './rabbitmq-connection.js';
import {
  answer,
  decode,
  encode,
  exchanges,
  failPending,
  replyQueue,
  request,
  returned,
  settle,
  type Pending,
} from './rabbitmq-requests.js';

const prefetch = 256;

export interface RabbitMqBusOptions {
  log?: ConnectionLog;
  backoff?: BackoffOptions;
  /** How long a publish waits for the broker while it is unreachable; default 10 s. */
  publishTimeoutMs?: number;
  /** How long this process's queues outlive it once nothing consumes them; default 10 min. */
  queueExpiryMs?: number;
}

/** A queue and its consumer, attached again on every new channel. */
interface Consumer {
  queue: string;
  declare?: (channel: ConfirmChannel) => Promise<unknown>;
  isNoAck?: boolean;
  onMessage: (message: ConsumeMessage, channel: ConfirmChannel) => void;
  attachedTo: ConfirmChannel | null;
  consumerTag: string | null;
}

/** Connects to RabbitMQ at `url`, declares Cadre's exchanges and keeps them across reconnects. */
export async function createRabbitMqBus(
  url: string,
  options: RabbitMqBusOptions = {},
): Promise<Bus> {
  const { log, backoff, publishTimeoutMs = 10_000, queueExpiryMs = 600_000 } = options;
  const instance = randomUUID();
  let queueCount = 0;
  const consumers = new Set<Consumer>();
  const pending = new Map<string, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => unknown>>();
  // Acknowledgements go to the channel that delivered, as long as it is open (also while it
  // is still being set up, when it is not yet the connection's current one).
  const closedChannels = new WeakSet<ConfirmChannel>();
  const isOpen = (channel: ConfirmChannel) => !closedChannels.has(channel);

  const attach = async (consumer: Consumer, channel: ConfirmChannel) => {
    if (consumer.attachedTo === channel) return;
    consumer.attachedTo = channel;
    await consumer.declare?.(channel);
    const { consumerTag } = await channel.consume(
      consumer.queue,
      (message) => message && consumer.onMessage(message, channel),
      { noAck: consumer.isNoAck ?? false },
    );
    consumer.consumerTag = consumerTag;
  };

  const connection = await openRabbitMqConnection({
    url,
    log,
    backoff,
    async setup(channel) {
      channel.once('close', () => closedChannels.add(channel));
      await declareTopology(channel);
      await channel.prefetch(prefetch);
      channel.on('return', (message: ConsumeMessage) => returned(pending, message));
      // Consumers added while this ran are attached too, each once.
      while ([...consumers].some((consumer) => consumer.attachedTo !== channel)) {
        for (const consumer of consumers) await attach(consumer, channel);
      }
    },
    // Direct reply-to is bound to the connection: answers to a lost one never arrive.
    onLost: () =>
      failPending(pending, 'the connection to RabbitMQ was lost before the answer came'),
  });

  /** Registers a consumer; attaches it now when connected, else at the next connect. */
  const addConsumer = async (consumer: Consumer): Promise<Consumer> => {
    consumers.add(consumer);
    const channel = connection.channel;
    if (!channel) return consumer;
    try {
      await attach(consumer, channel);
    } catch (error) {
      if (connection.channel !== channel) return consumer; // lost meanwhile: the next setup attaches it
      consumers.delete(consumer);
      throw new CadreError(
        'BUS_UNAVAILABLE',
        `Cannot consume from ${consumer.queue}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return consumer;
  };

  const removeConsumer = async (consumer: Consumer, isQueueDeleted: boolean) => {
    consumers.delete(consumer);
    const channel = connection.channel;
    if (!channel || consumer.attachedTo !== channel) return; // the queue expires by itself
    if (consumer.consumerTag) await channel.cancel(consumer.consumerTag).catch(() => undefined);
    if (isQueueDeleted) await channel.deleteQueue(consumer.queue).catch(() => undefined);
  };

  // Handlers run as messages arrive (in order); each is acknowledged once its handler settled,
  // on the channel that delivered it. A message whose channel died meanwhile is redelivered.
  const handled = (message: ConsumeMessage, channel: ConfirmChannel, work: () => unknown) =>
    void Promise.resolve()
      .then(work)
      .catch(() => undefined)
      .then(() => {
        if (!isOpen(channel)) return;
        try {
          channel.ack(message);
        } catch {
          // The channel closed in between; the broker redelivers the message.
        }
      });

  const ownQueue = (kind: string) => `cadre.${kind}.${instance}.${++queueCount}`;
  const queueOptions: Options.AssertQueue = {
    durable: true,
    // A queue whose process died is removed after a while, and holds a bounded backlog until then.
    arguments: { 'x-expires': queueExpiryMs, 'x-max-length': 100_000 },
  };

  /** Publishes with a broker confirm, waiting (bounded) for a connection first. */
  const confirmPublish = async (
    exchange: string,
    routingKey: string,
    content: Buffer,
    publishOptions: Options.Publish,
  ) => {
    const deadline = Date.now() + publishTimeoutMs;
    for (;;) {
      const channel = await connection.waitForChannel(Math.max(0, deadline - Date.now()));
      try {
        await new Promise<void>((resolve, reject) => {
          channel.publish(exchange, routingKey, content, publishOptions, (error) =>
            error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
          );
        });
        return;
      } catch (error) {
        // A nack on a live channel is the broker's refusal; a channel that died before its
        // confirm may or may not have taken the message: send it again (at least once).
        if (connection.channel === channel || Date.now() >= deadline) {
          throw new CadreError(
            'BUS_UNAVAILABLE',
            `RabbitMQ did not confirm the message on ${exchange} (${routingKey}): ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
    }
  };

  const broadcastConsumer: Consumer = {
    queue: ownQueue('broadcast'),
    declare: async (channel) => {
      await channel.assertQueue(broadcastConsumer.queue, queueOptions);
      await channel.bindQueue(broadcastConsumer.queue, exchanges.broadcast, '');
    },
    onMessage: (message, channel) =>
      handled(message, channel, async () => {
        const { channel: name, payload } = decode(message) as { channel: string; payload: unknown };
        for (const handler of listeners.get(name) ?? [])
          await Promise.resolve(handler(payload)).catch(() => undefined);
      }),
    attachedTo: null,
    consumerTag: null,
  };
  const replyConsumer: Consumer = {
    queue: replyQueue,
    isNoAck: true,
    onMessage: (message) => settle(pending, message),
    attachedTo: null,
    consumerTag: null,
  };
  try {
    await addConsumer(replyConsumer);
    await addConsumer(broadcastConsumer);
  } catch (error) {
    await connection.close();
    throw error;
  }

  const json = { contentType: 'application/json', persistent: true };

  return {
    async publish(topic, payload) {
      await confirmPublish(exchanges.events, topic, encode(payload), json);
    },
    async subscribe(pattern, handler) {
      const queue = ownQueue('events');
      const consumer = await addConsumer({
        queue,
        declare: async (channel) => {
          await channel.assertQueue(queue, queueOptions);
          await channel.bindQueue(queue, exchanges.events, pattern);
        },
        onMessage: (message, channel) =>
          handled(message, channel, () =>
            handler({ topic: message.fields.routingKey, payload: decode(message) }),
          ),
        attachedTo: null,
        consumerTag: null,
      });
      return { unsubscribe: () => removeConsumer(consumer, true) };
    },
    request: (topic, payload, requestOptions) =>
      request({ publish: confirmPublish, pending, topic, payload, options: requestOptions }),
    async respond(topic, handler) {
      const queue = `cadre.request.${topic}`;
      const consumer = await addConsumer({
        queue,
        declare: async (channel) => {
          await channel.assertQueue(queue, {
            durable: true,
            deadLetterExchange: exchanges.deadLetter,
          });
          await channel.bindQueue(queue, exchanges.requests, topic);
        },
        onMessage: (message, channel) =>
          void answer(channel, message, handler, () => isOpen(channel)),
        attachedTo: null,
        consumerTag: null,
      });
      return { unsubscribe: () => removeConsumer(consumer, false) };
    },
    async broadcast(name, payload) {
      await confirmPublish(exchanges.broadcast, '', encode({ channel: name, payload }), json);
    },
    async listen(name, handler) {
      const set = listeners.get(name) ?? new Set();
      set.add(handler);
      listeners.set(name, set);
      return { unsubscribe: async () => void set.delete(handler) };
    },
    health() {
      return connection.channel
        ? { kind: 'rabbitmq', isConnected: true }
        : { kind: 'rabbitmq', isConnected: false, reason: connection.lastError ?? 'reconnecting' };
    },
    async close() {
      failPending(pending, 'the bus was closed before the answer came');
      for (const consumer of [...consumers]) {
        await removeConsumer(
          consumer,
          consumer === broadcastConsumer || consumer.queue.startsWith('cadre.events.'),
        );
      }
      await connection.close();
    },
  };
}
async function declareTopology(channel: ConfirmChannel) {
  await channel.assertExchange(exchanges.events, 'topic', { durable: true });
  await channel.assertExchange(exchanges.requests, 'direct', { durable: true });
  await channel.assertExchange(exchanges.broadcast, 'fanout', { durable: true });
  await channel.assertExchange(exchanges.deadLetter, 'fanout', { durable: true });
  await channel.assertQueue(exchanges.deadLetter, { durable: true });
  await channel.bindQueue(exchanges.deadLetter, exchanges.deadLetter, '');
}
