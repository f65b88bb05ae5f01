// The bus over Postgres LISTEN/NOTIFY, for several Cadre processes sharing one database and
// no RabbitMQ (the embedded default with `cadre worker`s): events and broadcasts reach every
// process. Requests stay within the process; across processes they need RabbitMQ.
import type { Database, Listener } from '../db/index.js';
import type { Bus, BusMessage } from './bus.js';
import { createSubscriptions } from './bus.js';
import { createInProcessBus } from './in-process.js';

const eventsChannel = 'cadre_bus_events';
const broadcastChannel = 'cadre_bus_broadcast';
// NOTIFY payloads must stay under 8000 bytes; a larger event goes out without its data,
// which a reader then finds in the task's event log by its sequence number.
const maxPayloadBytes = 7900;

/** A bus whose events and broadcasts go through the shared Postgres. */
export async function createPostgresBus(database: Database): Promise<Bus> {
  const local = createInProcessBus();
  const subscribers = createSubscriptions<(message: BusMessage) => unknown>();
  const listeners = new Set<{ channel: string; handler: (payload: unknown) => unknown }>();
  const deliver = (handler: (value: never) => unknown, value: unknown) =>
    void Promise.resolve()
      .then(() => handler(value as never))
      .catch(() => undefined);

  const onEvent = (text: string) => {
    const message = parseNotification(text) as BusMessage | null;
    if (typeof message?.topic !== 'string') return;
    for (const handler of subscribers.matching(message.topic)) deliver(handler, message);
  };
  const onBroadcast = (text: string) => {
    const parsed = parseNotification(text) as { channel: string; payload: unknown } | null;
    if (!parsed) return;
    const { channel, payload } = parsed;
    for (const entry of listeners) if (entry.channel === channel) deliver(entry.handler, payload);
  };
  // Each LISTEN connection reconnects by itself; what was notified while it was down is
  // missed, as a broker's non-durable queue would miss it (the task event log has it).
  const connections: Listener[] = [await database.listen(eventsChannel, onEvent)];
  try {
    connections.push(await database.listen(broadcastChannel, onBroadcast));
  } catch (error) {
    await connections[0]!.close();
    throw error;
  }
  const notify = (channel: string, value: unknown) =>
    database.pool.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(value)]);

  return {
    async publish(topic, payload) {
      const text = JSON.stringify({ topic, payload });
      const message =
        Buffer.byteLength(text) <= maxPayloadBytes
          ? { topic, payload }
          : { topic, payload: withoutData(payload) };
      await notify(eventsChannel, message);
    },
    async subscribe(pattern, handler) {
      const remove = subscribers.add(pattern, handler);
      return { unsubscribe: async () => remove() };
    },
    request: (topic, payload, options) => local.request(topic, payload, options),
    respond: (topic, handler) => local.respond(topic, handler),
    async broadcast(channel, payload) {
      await notify(broadcastChannel, { channel, payload });
    },
    async listen(channel, handler) {
      const entry = { channel, handler };
      listeners.add(entry);
      return { unsubscribe: async () => void listeners.delete(entry) };
    },
    health() {
      const isConnected = connections.every((connection) => connection.isConnected);
      return isConnected
        ? { kind: 'postgres', isConnected }
        : { kind: 'postgres', isConnected, reason: 'the LISTEN connection to Postgres is down' };
    },
    async close() {
      subscribers.clear();
      listeners.clear();
      await Promise.all(connections.map((connection) => connection.close()));
      await local.close();
    },
  };
}

function withoutData(payload: unknown): unknown {
  if (payload && typeof payload === 'object') return { ...payload, data: { isTruncated: true } };
  return { isTruncated: true };
}

/** A notification anyone with database access could send: never let it throw in the driver. */
function parseNotification(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
