// GET /api/live: one WebSocket for everything live. A client subscribes to its organization, a
// project, a task (resuming after the last sequence number it saw: nothing lost, nothing twice,
// D7), an agent or a terminal. Every subscription is checked against the caller's organization
// and role; a client that misses a ping or cannot keep up is dropped instead of growing the
// server's memory. A task's subscribers also learn who else is looking at it. A socket holds a
// bounded number of subscriptions, a key or session a bounded number of sockets, and a socket
// whose caller lost rights (demoted, removed, revoked, signed out) is closed at once.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from '@fastify/websocket';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { isAllowed, type Principal } from '../../auth/index.js';
import type { Bus, Subscription } from '../../bus/index.js';
import { tables, type Db } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import { agentTopic, getProject } from '../../orchestrator/index.js';
import type { Terminal } from '../../sandbox/index.js';
import type { AppDeps } from '../app.js';
import { authenticateUpgrade } from '../auth-hook.js';
import { createPresence, type Presence, type Viewer } from '../presence.js';
import { createRightsWatch } from '../rights-watch.js';
import { createSocketCounts } from '../socket-counts.js';
import { EventText, eventMessage, followTask, type LiveEvent, type Send } from './live-task.js';
import { liveProtocol } from './terminals.js';
import type { WorkspaceServices } from './workspace-services.js';

const SubscriptionId = z.string().min(1).max(100);
const subscribe = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject({ type: z.literal('subscribe'), id: SubscriptionId, ...shape });

const ClientMessage = z.union([
  subscribe({ scope: z.literal('organization') }),
  subscribe({ scope: z.literal('project'), projectId: z.uuid() }),
  subscribe({
    scope: z.literal('task'),
    taskId: z.uuid(),
    afterSeq: z.number().int().min(0).default(0),
  }),
  subscribe({ scope: z.literal('agent'), agentId: z.uuid() }),
  subscribe({
    scope: z.literal('terminal'),
    projectId: z.uuid(),
    taskId: z.uuid(),
    terminalId: z.string().min(1).max(100),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), id: SubscriptionId }),
  z.strictObject({
    type: z.literal('terminal-input'),
    id: SubscriptionId,
    data: z.string().max(65_536),
  }),
  z.strictObject({
    type: z.literal('terminal-resize'),
    id: SubscriptionId,
    cols: z.number().int(),
    rows: z.number().int(),
  }),
]);
type ClientMessage = z.infer<typeof ClientMessage>;
type SubscribeMessage = Extract<ClientMessage, { type: 'subscribe' }>;

/** What one subscription holds: how to end it and, for a terminal, where its input goes. */
interface Held {
  end(): Promise<void>;
  terminal?: Terminal;
}

export const liveRoutes: FastifyPluginAsyncZod<AppDeps & { services: WorkspaceServices }> = async (
  app,
  deps,
) => {
  const { bus, services } = deps;
  if (!bus) return; // an app built without a bus serves no live events
  const { db } = deps.database;
  const { liveHeartbeatMs, liveMaxBufferedBytes, liveMaxSubscriptions } = deps.config.server;
  const presence = createPresence(bus, liveHeartbeatMs);
  app.addHook('onClose', () => presence.close());
  const sockets = createSocketCounts(deps.config.server.liveMaxSocketsPerCredential);
  // Any change of rights anywhere (Postgres tells every node) re-checks every open socket.
  const rights = createRightsWatch({ credentials: app.credentials, pollMs: liveHeartbeatMs });
  app.addHook('onClose', async () => rights.close());

  app.get(
    '/api/live',
    {
      websocket: true,
      // Authenticated below: by a subprotocol token, or a session cookie from an allowed Origin.
      config: { permission: 'public' },
      schema: { tags: ['live'] },
      preValidation: async (request) => {
        const principal = await authenticateUpgrade(request, 'tasks:read', liveProtocol);
        sockets.refuseWhenFull(principal); // answered before the upgrade, as HTTP 429
      },
    },
    (socket, request) => {
      const principal = request.principal!;
      // Two upgrades may pass the check at once: the later one is closed here.
      if (!sockets.add(principal)) {
        return socket.close(4029, sockets.limitMessage().slice(0, 120));
      }
      socket.on('close', () => sockets.remove(principal));
      rights.watch(socket, principal);
      serve(socket, principal, {
        db,
        bus,
        services,
        presence,
        liveHeartbeatMs,
        liveMaxBufferedBytes,
        liveMaxSubscriptions,
      });
    },
  );
};

interface ServeOptions {
  db: Db;
  bus: Bus;
  services: WorkspaceServices;
  presence: Presence;
  liveHeartbeatMs: number;
  liveMaxBufferedBytes: number;
  liveMaxSubscriptions: number;
}

function serve(socket: WebSocket, principal: Principal, options: ServeOptions) {
  const held = new Map<string, Held>();
  const sendText = (text: string) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > options.liveMaxBufferedBytes) {
      socket.close(
        4008,
        `Client too slow: more than ${options.liveMaxBufferedBytes} bytes unread.`,
      );
      return;
    }
    socket.send(text);
  };
  const send = (message: Record<string, unknown>) => sendText(JSON.stringify(message));
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

  // Messages are handled one after another, so that a subscription and the input that
  // follows it arrive in the order they were sent.
  let queue = Promise.resolve();
  let isClosed = false;
  socket.on('message', (raw: Buffer) => {
    const parsed = ClientMessage.safeParse(safeJson(raw.toString()));
    if (!parsed.success)
      return fail(new CadreError('VALIDATION_FAILED', z.prettifyError(parsed.error)));
    queue = queue.then(() => handle(parsed.data).catch((error) => fail(error, parsed.data.id)));
  });
  socket.on('close', () => {
    isClosed = true;
    clearInterval(heartbeat);
    queue = queue.then(async () => {
      await Promise.all([...held.values()].map((subscription) => subscription.end()));
      held.clear();
    });
  });

  async function handle(message: ClientMessage) {
    if (message.type === 'terminal-input' || message.type === 'terminal-resize') {
      const terminal = held.get(message.id)?.terminal;
      if (!terminal) throw new CadreError('NOT_FOUND', `No terminal subscription ${message.id}.`);
      if (message.type === 'terminal-input') terminal.write(message.data);
      else terminal.resize(message.cols, message.rows);
      return;
    }
    if (
      message.type === 'subscribe' &&
      !held.has(message.id) &&
      held.size >= options.liveMaxSubscriptions
    ) {
      throw new CadreError(
        'LIVE_SUBSCRIPTION_LIMIT',
        `This socket holds ${options.liveMaxSubscriptions} subscriptions, the most allowed: unsubscribe from one first.`,
        { details: { limit: options.liveMaxSubscriptions } },
      );
    }
    await held.get(message.id)?.end();
    held.delete(message.id);
    if (message.type === 'unsubscribe') return;
    const subscription = await open(message, principal, options, (payload) =>
      payload instanceof EventText
        ? sendText(`{"id":${JSON.stringify(message.id)},${payload.body}`)
        : send({ ...payload, id: message.id }),
    );
    if (isClosed) return subscription.end();
    held.set(message.id, subscription);
    send({ type: 'subscribed', id: message.id });
  }
}

/** Starts one subscription after checking that the caller may see what it names. */
async function open(
  message: SubscribeMessage,
  principal: Principal,
  options: ServeOptions,
  send: Send,
): Promise<Held> {
  const { db, bus } = options;
  const { orgId } = principal;
  const unsubscribing = (subscription: Subscription) => ({
    end: () => subscription.unsubscribe(),
  });
  switch (message.scope) {
    case 'organization': {
      const events = await bus.subscribe(`org.${orgId}.task.*`, ({ topic, payload }) =>
        send(eventMessage(topic.split('.').at(-1)!, payload as LiveEvent)),
      );
      const agents = await bus.subscribe(`org.${orgId}.agent.*`, ({ payload }) =>
        send({ type: 'agent', ...(payload as object) }),
      );
      return { end: async () => void (await Promise.all([events, agents].map(unsubscribe))) };
    }
    case 'project': {
      await getProject(db, orgId, message.projectId); // NOT_FOUND for another organization's
      const isInProject = projectMembership(db, orgId, message.projectId);
      return unsubscribing(
        await bus.subscribe(`org.${orgId}.task.*`, async ({ topic, payload }) => {
          const taskId = topic.split('.').at(-1)!;
          if (await isInProject(taskId)) send(eventMessage(taskId, payload as LiveEvent));
        }),
      );
    }
    case 'task': {
      const events = await followTask(options, principal, message.taskId, message.afterSeq, send);
      const me = await viewerOf(db, principal);
      const isMe = (viewer: Viewer) =>
        viewer.userId === null ? viewer.name === me.name : viewer.userId === me.userId;
      const leave = await options.presence.join(orgId, message.taskId, me, (viewers) =>
        send({
          type: 'presence',
          taskId: message.taskId,
          viewers: viewers.map((viewer) => ({ ...viewer, isYou: isMe(viewer) })),
        }),
      );
      return { end: async () => void (await Promise.all([events.unsubscribe(), leave()])) };
    }
    case 'agent': {
      const [agent] = await db
        .select({ status: tables.agents.status, stepId: tables.agents.currentStepId })
        .from(tables.agents)
        .where(and(eq(tables.agents.id, message.agentId), eq(tables.agents.orgId, orgId)));
      if (!agent) {
        throw new CadreError('NOT_FOUND', `No agent with id ${message.agentId}.`, {
          details: { kind: 'agent', id: message.agentId },
        });
      }
      send({ type: 'agent', agentId: message.agentId, ...agent });
      return unsubscribing(
        await bus.subscribe(agentTopic(orgId, message.agentId), ({ payload }) =>
          send({ type: 'agent', ...(payload as object) }),
        ),
      );
    }
    case 'terminal':
      return followTerminal(options.services, principal, message, send);
  }
}

const unsubscribe = (subscription: Subscription) => subscription.unsubscribe();

/** Whether a task of the organization is in the project; asks the database once per task. */
function projectMembership(db: Db, orgId: string, projectId: string) {
  const known = new Map<string, Promise<boolean>>();
  return (taskId: string) => {
    let answer = known.get(taskId);
    if (!answer) {
      answer = db
        .select({ projectId: tables.tasks.projectId })
        .from(tables.tasks)
        .where(and(eq(tables.tasks.id, taskId), eq(tables.tasks.orgId, orgId)))
        .then(([task]) => task?.projectId === projectId);
      known.set(taskId, answer);
    }
    return answer;
  };
}

/** How a caller is named to the other viewers of a task: the user, else the API key. */
async function viewerOf(db: Db, principal: Principal): Promise<Viewer> {
  if (principal.userId) {
    const [user] = await db
      .select({ name: tables.users.name })
      .from(tables.users)
      .where(eq(tables.users.id, principal.userId));
    if (user) return { userId: principal.userId, name: user.name };
  }
  const [key] = await db
    .select({ name: tables.apiKeys.name })
    .from(tables.apiKeys)
    .where(eq(tables.apiKeys.id, principal.credentialId));
  return { userId: null, name: key ? `API key "${key.name}"` : 'someone' };
}

/** Streams a terminal of the caller's task: its scrollback, its output, then its exit. */
async function followTerminal(
  services: WorkspaceServices,
  principal: Principal,
  message: Extract<SubscribeMessage, { scope: 'terminal' }>,
  send: Send,
): Promise<Held> {
  if (!isAllowed(principal.role, 'terminal:open')) {
    throw new CadreError('FORBIDDEN', `The ${principal.role} role may not use terminals.`);
  }
  const { project, task } = await services.task(principal, message);
  const terminal = services
    .terminals()
    .get(message.terminalId, `${principal.orgId}/${project.id}/${task.id}`);
  const stop = new AbortController();
  void (async () => {
    for await (const event of terminal.events(stop.signal)) {
      if (event.type === 'output')
        send({ type: 'terminal-output', seq: event.seq, data: event.data });
      else send({ type: 'terminal-exit', exitCode: event.exitCode });
    }
  })().catch((error: unknown) => send({ type: 'error', code: 'INTERNAL', message: String(error) }));
  return { end: async () => stop.abort(), terminal };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
