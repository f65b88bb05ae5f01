// GET /api/live: one WebSocket for live events. A client subscribes to a task (resuming
// after the last sequence number it saw: nothing lost, nothing twice, D7) or to its whole
// organization. Every subscription is checked against the caller's organization; a client
// that misses a ping or cannot keep up is dropped instead of growing the server's memory.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from '@fastify/websocket';
import { z } from 'zod';
import type { Principal } from '../../auth/index.js';
import type { Bus, Subscription } from '../../bus/index.js';
import type { Db } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import { getTask, listEvents, taskTopic } from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { authenticateUpgrade } from '../auth-hook.js';
import { liveProtocol } from './terminals.js';

const ClientMessage = z.union([
  z.strictObject({
    type: z.literal('subscribe'),
    id: z.string().min(1).max(100),
    scope: z.literal('task'),
    taskId: z.uuid(),
    afterSeq: z.number().int().min(0).default(0),
  }),
  z.strictObject({
    type: z.literal('subscribe'),
    id: z.string().min(1).max(100),
    scope: z.literal('organization'),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id: z.string().min(1).max(100) }),
]);
type ClientMessage = z.infer<typeof ClientMessage>;

interface LiveEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

export const liveRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { bus } = deps;
  if (!bus) return; // an app built without a bus serves no live events
  const { db } = deps.database;
  const { liveHeartbeatMs, liveMaxBufferedBytes } = deps.config.server;

  app.get(
    '/api/live',
    {
      websocket: true,
      // Authenticated below: a browser can only send its token as a subprotocol.
      config: { permission: 'public' },
      schema: { tags: ['live'] },
      preValidation: async (request) => {
        await authenticateUpgrade(request, 'tasks:read', liveProtocol);
      },
    },
    (socket, request) =>
      serve(socket, request.principal!, { db, bus, liveHeartbeatMs, liveMaxBufferedBytes }),
  );
};

interface ServeOptions {
  db: Db;
  bus: Bus;
  liveHeartbeatMs: number;
  liveMaxBufferedBytes: number;
}

function serve(socket: WebSocket, principal: Principal, options: ServeOptions) {
  const subscriptions = new Map<string, Subscription>();
  const send = (message: Record<string, unknown>) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > options.liveMaxBufferedBytes) {
      socket.close(
        4008,
        `Client too slow: more than ${options.liveMaxBufferedBytes} bytes unread.`,
      );
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const fail = (error: unknown, id?: string) => {
    const failure =
      error instanceof CadreError ? error : new CadreError('VALIDATION_FAILED', String(error));
    send({ type: 'error', ...(id ? { id } : {}), code: failure.code, message: failure.message });
  };

  let isAlive = true;
  socket.on('pong', () => (isAlive = true));
  const heartbeat = setInterval(() => {
    if (!isAlive) return socket.terminate();
    isAlive = false;
    socket.ping();
  }, options.liveHeartbeatMs);

  socket.on('message', (raw: Buffer) => {
    const parsed = ClientMessage.safeParse(safeJson(raw.toString()));
    if (!parsed.success)
      return fail(new CadreError('VALIDATION_FAILED', z.prettifyError(parsed.error)));
    void handle(parsed.data).catch((error: unknown) => fail(error, parsed.data.id));
  });
  socket.on('close', () => {
    clearInterval(heartbeat);
    for (const subscription of subscriptions.values()) void subscription.unsubscribe();
    subscriptions.clear();
  });

  async function handle(message: ClientMessage) {
    await subscriptions.get(message.id)?.unsubscribe();
    subscriptions.delete(message.id);
    if (message.type === 'unsubscribe') return;
    const subscription =
      message.scope === 'task'
        ? await followTask(options, principal, message.taskId, message.afterSeq, (event) =>
            send(toMessage(message.id, message.taskId, event)),
          )
        : await options.bus.subscribe(`org.${principal.orgId}.task.*`, ({ topic, payload }) =>
            send(toMessage(message.id, topic.split('.').at(-1)!, payload as LiveEvent)),
          );
    subscriptions.set(message.id, subscription);
    send({ type: 'subscribed', id: message.id });
  }
}

/**
 * Sends a task's events after `afterSeq` from the log, then live ones, in order and each
 * once. A live event that does not follow the last one sent (it overtook the replay, or its
 * data was cut for the transport) is read from the log instead.
 */
async function followTask(
  options: ServeOptions,
  principal: Principal,
  taskId: string,
  afterSeq: number,
  deliver: (event: LiveEvent) => void,
): Promise<Subscription> {
  await getTask(options.db, principal.orgId, taskId); // NOT_FOUND for another organization's task
  let lastSeq = afterSeq;
  let chain = Promise.resolve();
  const catchUp = async () => {
    for (;;) {
      const rows = await listEvents(options.db, taskId, lastSeq, 500);
      for (const row of rows) {
        deliver({ seq: row.seq, type: row.type, data: row.data as Record<string, unknown> });
        lastSeq = row.seq;
      }
      if (rows.length < 500) return;
    }
  };
  const onLive = (event: LiveEvent) => {
    chain = chain.then(async () => {
      if (event.seq <= lastSeq) return;
      if (event.seq === lastSeq + 1 && !event.data.isTruncated) {
        deliver(event);
        lastSeq = event.seq;
      } else {
        await catchUp();
      }
    });
  };
  const subscription = await options.bus.subscribe(
    taskTopic(principal.orgId, taskId),
    ({ payload }) => onLive(payload as LiveEvent),
  );
  chain = chain.then(catchUp);
  await chain;
  return subscription;
}

/** An event as the client receives it: `type` is the message's, `eventType` the event's. */
function toMessage(id: string, taskId: string, event: LiveEvent) {
  return { type: 'event', id, taskId, seq: event.seq, eventType: event.type, data: event.data };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
