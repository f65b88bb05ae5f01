// The bus on RabbitMQ, for Cadre spread over several processes: a topic exchange for events,
// request-reply through direct reply-to, a fanout exchange for broadcasts, and a dead-letter
// exchange that keeps every request whose responder failed.
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { CadreError } from '../errors/index.js';
import type { Bus, RequestOptions, Subscription } from './bus.js';

const exchanges = {
  events: 'cadre.events',
  requests: 'cadre.requests',
  broadcast: 'cadre.broadcast',
  deadLetter: 'cadre.dead-letter',
};
const replyQueue = 'amq.rabbitmq.reply-to';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/** Connects to RabbitMQ at `url` and declares Cadre's exchanges. */
export async function createRabbitMqBus(url: string): Promise<Bus> {
  let connection: ChannelModel;
  try {
    connection = await connect(url);
  } catch (error) {
    throw new CadreError(
      'BUS_UNAVAILABLE',
      `Cannot connect to RabbitMQ at ${redactUrl(url)}: ${(error as Error).message}. Check CADRE_RABBITMQ_URL.`,
      {
        cause: error,
      },
    );
  }
  connection.on('error', () => undefined); // 'close' follows; requests then fail with BUS_UNAVAILABLE
  const channel = await connection.createChannel();
  await channel.assertExchange(exchanges.events, 'topic', { durable: true });
  await channel.assertExchange(exchanges.requests, 'direct', { durable: true });
  await channel.assertExchange(exchanges.broadcast, 'fanout', { durable: true });
  await channel.assertExchange(exchanges.deadLetter, 'fanout', { durable: true });
  await channel.assertQueue(exchanges.deadLetter, { durable: true });
  await channel.bindQueue(exchanges.deadLetter, exchanges.deadLetter, '');

  const pending = new Map<string, Pending>();
  await channel.consume(replyQueue, (message) => message && settle(pending, message), {
    noAck: true,
  });
  channel.on('return', (message: ConsumeMessage) => {
    const entry = pending.get(message.properties.correlationId as string);
    if (!entry) return;
    pending.delete(message.properties.correlationId as string);
    clearTimeout(entry.timer);
    entry.reject(
      new CadreError(
        'BUS_NO_RESPONDER',
        `Nothing answers requests on "${message.fields.routingKey}".`,
      ),
    );
  });

  const listeners = new Map<string, Set<(payload: unknown) => unknown>>();
  const { queue: broadcastQueue } = await channel.assertQueue('', {
    exclusive: true,
    autoDelete: true,
  });
  await channel.bindQueue(broadcastQueue, exchanges.broadcast, '');
  await channel.consume(
    broadcastQueue,
    (message) => {
      if (!message) return;
      const { channel: name, payload } = decode(message) as { channel: string; payload: unknown };
      for (const handler of listeners.get(name) ?? [])
        void Promise.resolve()
          .then(() => handler(payload))
          .catch(() => undefined);
    },
    { noAck: true },
  );

  const cancelling = (consumerTag: string, queue?: string): Subscription => ({
    async unsubscribe() {
      await channel.cancel(consumerTag);
      if (queue) await channel.deleteQueue(queue);
    },
  });

  return {
    async publish(topic, payload) {
      channel.publish(exchanges.events, topic, encode(payload), {
        contentType: 'application/json',
      });
    },
    async subscribe(pattern, handler) {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, exchanges.events, pattern);
      const { consumerTag } = await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const event = { topic: message.fields.routingKey, payload: decode(message) };
          void Promise.resolve()
            .then(() => handler(event))
            .catch(() => undefined);
        },
        { noAck: true },
      );
      return cancelling(consumerTag, queue);
    },
    request: (topic, payload, options) => request(channel, pending, topic, payload, options),
    respond: (topic, handler) =>
      respond(channel, topic, handler).then(({ consumerTag }) => cancelling(consumerTag)),
    async broadcast(name, payload) {
      channel.publish(exchanges.broadcast, '', encode({ channel: name, payload }), {
        contentType: 'application/json',
      });
    },
    async listen(name, handler) {
      const set = listeners.get(name) ?? new Set();
      set.add(handler);
      listeners.set(name, set);
      return { unsubscribe: async () => void set.delete(handler) };
    },
    async close() {
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.reject(
          new CadreError('BUS_UNAVAILABLE', 'The bus was closed before the answer came.'),
        );
      }
      pending.clear();
      await connection.close().catch(() => undefined);
    },
  };
}

function request(
  channel: Channel,
  pending: Map<string, Pending>,
  topic: string,
  payload: unknown,
  { timeoutMs = 30_000 }: RequestOptions = {},
) {
  const correlationId = randomUUID();
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(correlationId);
      reject(
        new CadreError('BUS_TIMEOUT', `No answer on "${topic}" within ${timeoutMs} ms.`, {
          details: { topic, timeoutMs },
        }),
      );
    }, timeoutMs);
    pending.set(correlationId, { resolve, reject, timer });
    channel.publish(exchanges.requests, topic, encode(payload), {
      correlationId,
      replyTo: replyQueue,
      mandatory: true, // returned to us when no responder's queue is bound
      contentType: 'application/json',
      expiration: String(timeoutMs),
    });
  });
}

async function respond(
  channel: Channel,
  topic: string,
  handler: (payload: unknown) => Promise<unknown>,
) {
  const queue = `cadre.request.${topic}`;
  await channel.assertQueue(queue, { durable: true, deadLetterExchange: exchanges.deadLetter });
  await channel.bindQueue(queue, exchanges.requests, topic);
  return channel.consume(queue, async (message) => {
    if (!message) return;
    const { replyTo, correlationId } = message.properties;
    try {
      const answer = await handler(decode(message));
      channel.sendToQueue(replyTo as string, encode({ ok: true, answer }), { correlationId });
      channel.ack(message);
    } catch (error) {
      const failure = {
        code: error instanceof CadreError ? error.code : 'BUS_REQUEST_FAILED',
        message: (error as Error).message,
      };
      channel.sendToQueue(replyTo as string, encode({ ok: false, error: failure }), {
        correlationId,
      });
      channel.nack(message, false, false); // to the dead-letter exchange, for inspection
    }
  });
}

function settle(pending: Map<string, Pending>, message: ConsumeMessage) {
  const entry = pending.get(message.properties.correlationId as string);
  if (!entry) return;
  pending.delete(message.properties.correlationId as string);
  clearTimeout(entry.timer);
  const reply = decode(message) as { ok: boolean; answer?: unknown; error?: { message: string } };
  if (reply.ok) entry.resolve(reply.answer);
  else
    entry.reject(
      new CadreError('BUS_REQUEST_FAILED', `The responder failed: ${reply.error?.message}`, {
        details: reply.error,
      }),
    );
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value ?? null));
const decode = (message: ConsumeMessage): unknown => JSON.parse(message.content.toString());
const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:[redacted]@');
