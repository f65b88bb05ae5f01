// The live connection to the server (GET /api/live): one WebSocket that reconnects by itself,
// with exponential backoff and jitter, subscribes again to everything it followed, resumes each
// task and terminal after the last sequence number it saw, and keeps what is sent while it is
// down until it is back. Free of React and of the DOM's types, so that tests run it in Node.

export type LiveScope =
  | { scope: 'organization' }
  | { scope: 'project'; projectId: string }
  | { scope: 'task'; taskId: string }
  | { scope: 'agent'; agentId: string }
  | { scope: 'terminal'; projectId: string; taskId: string; terminalId: string };

export interface Viewer {
  userId: string | null;
  name: string;
  /** This viewer is the caller (the same user, or the same API key). */
  isYou: boolean;
}

export type LiveMessage =
  | {
      type: 'event';
      id: string;
      taskId: string;
      seq: number;
      eventType: string;
      data: Record<string, unknown>;
    }
  | { type: 'agent'; id: string; agentId: string; status: string; stepId: string | null }
  | { type: 'presence'; id: string; taskId: string; viewers: Viewer[] }
  | { type: 'terminal-output'; id: string; seq: number; data: string }
  | { type: 'terminal-exit'; id: string; exitCode: number }
  | { type: 'subscribed'; id: string }
  | { type: 'error'; id?: string; code: string; message: string };

export interface LiveSubscription {
  /** Sends a message for this subscription, e.g. `{ type: 'terminal-input', data }`. */
  send(message: Record<string, unknown>): void;
  unsubscribe(): void;
}

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of a WebSocket the client uses: the browser's and undici's both fit. */
export interface SocketLike {
  readonly readyState: number;
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((message: { data: unknown }) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface LiveClientOptions {
  url: string;
  /**
   * A program's bearer token, sent as the subprotocol "bearer.<token>"; no connection while it
   * answers null. A browser leaves it out: its session cookie goes with the handshake.
   */
  token?: () => string | null;
  /** The WebSocket class; the global one when absent. */
  WebSocket?: new (url: string, protocols: string[]) => SocketLike;
  initialDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  onStatus?: (status: LiveStatus) => void;
}

/** How long to wait before reconnect attempt `attempt` (0-based): half fixed, half random. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}

interface Followed {
  scope: LiveScope;
  onMessage: (message: LiveMessage) => void;
  /** The last sequence number seen of a task's events or a terminal's output. */
  lastSeq: number;
}

const OPEN = 1;

export class LiveClient {
  status: LiveStatus = 'connecting';
  private socket: SocketLike | null = null;
  private readonly followed = new Map<string, Followed>();
  private readonly outbox: string[] = [];
  private attempt = 0;
  private nextId = 1;
  private retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveClientOptions) {
    this.connect();
  }

  /** Follows a scope until `unsubscribe()`; `send` talks to the subscription (a terminal). */
  subscribe(scope: LiveScope, onMessage: (message: LiveMessage) => void): LiveSubscription {
    const id = `s${this.nextId++}`;
    const followed = { scope, onMessage, lastSeq: 0 };
    this.followed.set(id, followed);
    if (this.isOpen()) this.socket!.send(this.subscription(id, followed));
    return {
      send: (message) => this.send(JSON.stringify({ ...message, id })),
      unsubscribe: () => {
        this.followed.delete(id);
        if (this.isOpen()) this.socket!.send(JSON.stringify({ type: 'unsubscribe', id }));
      },
    };
  }

  close(): void {
    clearTimeout(this.retry);
    this.setStatus('closed');
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  /** Sends now, or as soon as the connection is back. */
  private send(text: string) {
    if (this.isOpen()) this.socket!.send(text);
    else this.outbox.push(text);
  }

  private isOpen() {
    return this.socket?.readyState === OPEN && this.status === 'open';
  }

  private subscription(id: string, { scope, lastSeq }: Followed) {
    const resume = scope.scope === 'task' ? { afterSeq: lastSeq } : {};
    return JSON.stringify({ type: 'subscribe', id, ...scope, ...resume });
  }

  private setStatus(status: LiveStatus) {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }

  private connect() {
    const token = this.options.token?.();
    if (token === null) return this.setStatus('closed');
    const Socket =
      this.options.WebSocket ??
      (globalThis as unknown as { WebSocket: NonNullable<LiveClientOptions['WebSocket']> })
        .WebSocket;
    const protocols = token ? ['cadre.live.v1', `bearer.${token}`] : ['cadre.live.v1'];
    const socket = new Socket(this.options.url, protocols);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
      for (const [id, followed] of this.followed) socket.send(this.subscription(id, followed));
      for (const text of this.outbox.splice(0)) socket.send(text);
    };
    socket.onmessage = ({ data }) => this.receive(JSON.parse(String(data)) as LiveMessage);
    socket.onclose = () => {
      if (this.socket !== socket) return; // closed on purpose
      this.socket = null;
      this.setStatus('reconnecting');
      const { initialDelayMs = 500, maxDelayMs = 15_000, random = Math.random } = this.options;
      const delay = backoffDelay(this.attempt++, initialDelayMs, maxDelayMs, random);
      this.retry = setTimeout(() => this.connect(), delay);
    };
  }

  private receive(message: LiveMessage) {
    const followed = message.id === undefined ? undefined : this.followed.get(message.id);
    if (!followed) return;
    const isOrdered = followed.scope.scope === 'task' || followed.scope.scope === 'terminal';
    if (isOrdered && (message.type === 'event' || message.type === 'terminal-output')) {
      if (message.seq <= followed.lastSeq) return; // seen before the connection was cut
      followed.lastSeq = message.seq;
    }
    followed.onMessage(message);
  }
}
