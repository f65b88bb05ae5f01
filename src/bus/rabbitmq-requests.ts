// Request-reply and message bodies for the RabbitMQ bus: a request goes to one responder's
// queue and its answer comes back through direct reply-to on the asking connection. Bodies
// come from the network and are never trusted to parse.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { CadreError } from '../errors/index.js';
import type { RequestOptions } from './bus.js';

export const exchanges = {
  events: 'cadre.events',
  requests: 'cadre.requests',
  broadcast: 'cadre.broadcast',
  deadLetter: 'cadre.dead-letter',
};
export const replyQueue = 'amq.rabbitmq.reply-to';

/** A request waiting for its answer. */
export interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

interface RequestArguments {
  publish: (
    exchange: string,
    key: string,
    content: Buffer,
    options: Options.Publish,
  ) => Promise<void>;
  pending: Map<string, Pending>;
  topic: string;
  payload: unknown;
  options?: RequestOptions;
}

/** Publishes a request and resolves with its answer, or fails by its timeout. */
export function request({ publish, pending, topic, payload, options = {} }: RequestArguments) {
  const { timeoutMs = 30_000 } = options;
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
    publish(exchanges.requests, topic, encode(payload), {
      correlationId,
      replyTo: replyQueue,
      mandatory: true, // returned to us when no responder's queue is bound
      contentType: 'application/json',
      expiration: String(timeoutMs),
    }).catch((error: unknown) => {
      if (!pending.delete(correlationId)) return;
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Runs a responder on one request and replies; acknowledged once answered. */
export async function answer(
  channel: ConfirmChannel,
  message: ConsumeMessage,
  handler: (payload: unknown) => Promise<unknown>,
  isLive: () => boolean,
) {
  const { replyTo, correlationId } = message.properties;
  let reply: unknown;
  let isAnswered = false;
  try {
    reply = { ok: true, answer: await handler(decode(message)) };
    isAnswered = true;
  } catch (error) {
    reply = {
      ok: false,
      error: {
        code: error instanceof CadreError ? error.code : 'BUS_REQUEST_FAILED',
        message: (error as Error).message,
      },
    };
  }
  // On a channel that died meanwhile the request is redelivered to a live responder.
  if (!isLive()) return;
  try {
    channel.sendToQueue(replyTo as string, encode(reply), { correlationId });
    if (isAnswered) channel.ack(message);
    else channel.nack(message, false, false); // to the dead-letter exchange, for inspection
  } catch {
    // The channel closed between the check and the reply; the request is redelivered.
  }
}

/** A request the broker returned: nothing answers its topic. */
export function returned(pending: Map<string, Pending>, message: ConsumeMessage) {
  const correlationId = message.properties.correlationId as string;
  const entry = pending.get(correlationId);
  if (!entry) return;
  pending.delete(correlationId);
  clearTimeout(entry.timer);
  entry.reject(
    new CadreError(
      'BUS_NO_RESPONDER',
      `Nothing answers requests on "${message.fields.routingKey}".`,
    ),
  );
}

/** Fails every request still waiting, with BUS_UNAVAILABLE and `reason`. */
export function failPending(pending: Map<string, Pending>, reason: string) {
  for (const entry of pending.values()) {
    clearTimeout(entry.timer);
    entry.reject(new CadreError('BUS_UNAVAILABLE', `The message bus is unavailable: ${reason}.`));
  }
  pending.clear();
}

/** Settles the request an answer belongs to. */
export function settle(pending: Map<string, Pending>, message: ConsumeMessage) {
  const entry = pending.get(message.properties.correlationId as string);
  if (!entry) return;
  pending.delete(message.properties.correlationId as string);
  clearTimeout(entry.timer);
  const reply = decode(message) as {
    ok: boolean;
    answer?: unknown;
    error?: { message: string };
  } | null;
  if (reply?.ok) entry.resolve(reply.answer);
  else
    entry.reject(
      new CadreError('BUS_REQUEST_FAILED', `The responder failed: ${reply?.error?.message}`, {
        details: reply?.error,
      }),
    );
}

/** A JSON body. */
export const encode = (value: unknown) => Buffer.from(JSON.stringify(value ?? null));
/** Message bodies come from the network: a malformed one decodes to null, never throws. */
export const decode = (message: ConsumeMessage): unknown => {
  try {
    return JSON.parse(message.content.toString()) as unknown;
  } catch {
    return null;
  }
};
