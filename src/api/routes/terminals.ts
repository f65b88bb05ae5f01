// Terminals of a task's worktree: open, list, resize and close them over REST, and stream one
// over a WebSocket. The stream takes a bearer header, the subprotocol "bearer.<token>", or a
// browser's session cookie from an allowed Origin, all checked by authenticateUpgrade().
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CadreError } from '../../errors/index.js';
import type { Terminal, TerminalInfo as TerminalInfoValue } from '../../sandbox/index.js';
import { authenticateUpgrade, principalOf } from '../auth-hook.js';
import { createRightsWatch } from '../rights-watch.js';
import {
  TaskParams,
  TerminalCreate,
  TerminalInfo,
  TerminalParams,
  TerminalResize,
} from './workspace-schemas.js';
import type { WorkspaceServices } from './workspace-services.js';

/** The subprotocol a terminal client offers beside its token; the server answers with it. */
export const terminalProtocol = 'cadre.terminal.v1';

/** The subprotocol of the live event stream (routes/live.ts). */
export const liveProtocol = 'cadre.live.v1';

/** Picks the subprotocol to answer a WebSocket handshake with; never echoes a token. */
export function selectWebSocketProtocol(protocols: Set<string>): string | false {
  return [terminalProtocol, liveProtocol].find((protocol) => protocols.has(protocol)) ?? false;
}

const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('input'), data: z.string().max(65_536) }),
  z.strictObject({ type: z.literal('resize'), cols: z.number().int(), rows: z.number().int() }),
]);

const toInfo = (info: TerminalInfoValue) => ({
  id: info.id,
  cols: info.cols,
  rows: info.rows,
  createdAt: info.createdAt.toISOString(),
  exitCode: info.exitCode,
  isRunning: info.isRunning,
});

export const terminalRoutes: FastifyPluginAsyncZod<{ services: WorkspaceServices }> = async (
  app,
  { services },
) => {
  const tags = ['terminals'];
  const streamed = new WeakMap<FastifyRequest, Terminal>();
  const rights = createRightsWatch({ credentials: app.credentials });
  app.addHook('onClose', async () => rights.close());
  const base = '/api/projects/:projectId/tasks/:taskId/terminals';
  const ownerOf = async (request: FastifyRequest, params: z.infer<typeof TaskParams>) => {
    const principal = principalOf(request);
    const { project, task } = await services.task(principal, params);
    return { owner: `${principal.orgId}/${project.id}/${task.id}`, project, task };
  };
  const terminalOf = async (
    request: FastifyRequest,
    params: z.infer<typeof TerminalParams>,
  ): Promise<Terminal> => {
    const { owner } = await ownerOf(request, params);
    return services.terminals().get(params.terminalId, owner);
  };

  app.post(
    base,
    {
      config: { permission: 'terminal:open' },
      schema: { tags, params: TaskParams, body: TerminalCreate, response: { 201: TerminalInfo } },
    },
    async (request, reply) => {
      const { owner, project, task } = await ownerOf(request, request.params);
      const worktree = await services.workspaces.getTaskWorktree({
        projectId: project.id,
        taskId: task.id,
      });
      const terminal = services.terminals().open({
        owner,
        labels: { orgId: principalOf(request).orgId, projectId: project.id, taskId: task.id },
        workspace: worktree.path,
        cols: request.body.cols,
        rows: request.body.rows,
        hasNetwork: project.hasNetwork,
        // A terminal is for people at a keyboard: it may stay open for a working day.
        limits: { timeoutMs: 8 * 3_600_000, cpuSeconds: 8 * 3_600 },
      });
      return reply.status(201).send(toInfo(terminal.info()));
    },
  );

  app.get(
    base,
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags,
        params: TaskParams,
        response: { 200: z.object({ items: z.array(TerminalInfo) }) },
      },
    },
    async (request) => {
      const { owner } = await ownerOf(request, request.params);
      return { items: services.terminals().list(owner).map(toInfo) };
    },
  );

  app.post(
    `${base}/:terminalId/resize`,
    {
      config: { permission: 'terminal:open' },
      schema: {
        tags,
        params: TerminalParams,
        body: TerminalResize,
        response: { 200: TerminalInfo },
      },
    },
    async (request) => {
      const terminal = await terminalOf(request, request.params);
      terminal.resize(request.body.cols, request.body.rows);
      return toInfo(terminal.info());
    },
  );

  app.delete(
    `${base}/:terminalId`,
    { config: { permission: 'terminal:open' }, schema: { tags, params: TerminalParams } },
    async (request, reply) => {
      (await terminalOf(request, request.params)).close();
      return reply.status(204).send();
    },
  );

  app.get(
    `${base}/:terminalId/stream`,
    {
      websocket: true,
      // Authenticated below: the token may come in the subprotocol header or the cookie.
      config: { permission: 'public' },
      schema: { tags, params: TerminalParams },
      preValidation: async (request) => {
        await authenticateUpgrade(request, 'terminal:open', terminalProtocol);
        // Ownership is checked before the upgrade, so that a stranger gets a plain 404.
        const params = request.params as z.infer<typeof TerminalParams>;
        streamed.set(request, await terminalOf(request, params));
      },
    },
    // Synchronous on purpose: a message that arrives before the listeners exist is lost.
    (socket, request) => {
      const terminal = streamed.get(request);
      streamed.delete(request);
      if (!terminal) return socket.close(1011, 'terminal not resolved');
      // A caller demoted or removed while typing loses the terminal at once.
      rights.watch(socket, request.principal!);
      streamTerminal(socket, terminal);
    },
  );
};

/** The part of a ws WebSocket the stream uses. */
interface TerminalSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): void;
  on(event: 'message', listener: (data: { toString(): string }) => void): void;
}

/** Pipes a terminal to a socket both ways until either ends. */
function streamTerminal(socket: TerminalSocket, terminal: Terminal) {
  const stop = new AbortController();
  socket.on('close', () => stop.abort());
  socket.on('message', (raw) => {
    const parsed = ClientMessage.safeParse(safeJson(raw.toString()));
    if (!parsed.success) {
      socket.send(
        JSON.stringify({
          type: 'error',
          code: 'VALIDATION_FAILED',
          message: 'Expected {"type":"input","data":…} or {"type":"resize","cols":…,"rows":…}.',
        }),
      );
      return;
    }
    try {
      if (parsed.data.type === 'input') terminal.write(parsed.data.data);
      else terminal.resize(parsed.data.cols, parsed.data.rows);
    } catch (error) {
      const failure =
        error instanceof CadreError ? error : new CadreError('INTERNAL', 'The terminal failed.');
      socket.send(JSON.stringify({ type: 'error', code: failure.code, message: failure.message }));
    }
  });
  void (async () => {
    for await (const event of terminal.events(stop.signal)) {
      if (socket.readyState !== socket.OPEN) break;
      socket.send(JSON.stringify(event));
      if (event.type === 'exit') socket.close(1000, 'terminal exited');
    }
  })();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
