// The bus inside one process, for the embedded default. Delivery is asynchronous, as with a
// broker, so code that works here does not depend on handlers running inline.
import { CadreError } from '../errors/index.js';
import {
  createSubscriptions,
  type Bus,
  type BusMessage,
  type RequestOptions,
  type Subscription,
} from './bus.js';

type Handler<T> = (value: T) => unknown;

/** A bus whose messages never leave this process. */
export function createInProcessBus(): Bus {
  const subscribers = createSubscriptions<Handler<BusMessage>>();
  const responders = new Map<string, Array<Handler<unknown>>>();
  const listeners = new Set<{ channel: string; handler: Handler<unknown> }>();
  let isClosed = false;

  const deliver = (handler: Handler<never>, value: unknown) =>
    queueMicrotask(() => {
      // A failing subscriber must not break the publisher, exactly as with a broker.
      void Promise.resolve()
        .then(() => handler(value as never))
        .catch(() => undefined);
    });

  const remover = <T>(set: Set<T>, entry: T): Subscription => ({
    unsubscribe: async () => void set.delete(entry),
  });

  return {
    async publish(topic, payload) {
      const message = { topic, payload };
      for (const handler of subscribers.matching(topic)) deliver(handler, message);
    },
    async subscribe(pattern, handler) {
      const remove = subscribers.add(pattern, handler);
      return { unsubscribe: async () => remove() };
    },
    async request(topic, payload, { timeoutMs = 30_000 }: RequestOptions = {}) {
      const handlers = responders.get(topic);
      if (isClosed || !handlers?.length) {
        throw new CadreError('BUS_NO_RESPONDER', `Nothing answers requests on "${topic}".`, {
          details: { topic },
        });
      }
      // Round robin, as competing consumers on one broker queue.
      const handler = handlers.shift()!;
      handlers.push(handler);
      return withTimeout(
        Promise.resolve().then(() => handler(payload)),
        topic,
        timeoutMs,
      );
    },
    async respond(topic, handler) {
      const handlers = responders.get(topic) ?? [];
      handlers.push(handler);
      responders.set(topic, handlers);
      return {
        unsubscribe: async () => {
          const index = handlers.indexOf(handler);
          if (index >= 0) handlers.splice(index, 1);
        },
      };
    },
    async broadcast(channel, payload) {
      for (const entry of listeners) if (entry.channel === channel) deliver(entry.handler, payload);
    },
    async listen(channel, handler) {
      const entry = { channel, handler };
      listeners.add(entry);
      return remover(listeners, entry);
    },
    health: () =>
      isClosed
        ? { kind: 'in-process', isConnected: false, reason: 'the bus is closed' }
        : { kind: 'in-process', isConnected: true },
    async close() {
      isClosed = true;
      subscribers.clear();
      responders.clear();
      listeners.clear();
    },
  };
}

function withTimeout<T>(work: Promise<T>, topic: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CadreError('BUS_TIMEOUT', `No answer on "${topic}" within ${timeoutMs} ms.`, {
            details: { topic, timeoutMs },
          }),
        ),
      timeoutMs,
    );
  });
  const failed = (error: unknown) => {
    throw error instanceof CadreError
      ? error
      : new CadreError(
          'BUS_REQUEST_FAILED',
          `The responder on "${topic}" failed: ${(error as Error).message}`,
          { cause: error },
        );
  };
  return Promise.race([work.catch(failed), timeout]).finally(() => clearTimeout(timer));
}
