// The clients of the live WebSocket benchmark, in a process of their own so that the load
// generator does not share the server's event loop. Each WebSocket follows one task; every
// event is checked to come once and in order, and timed from its publication to its arrival.
import { WebSocket } from 'undici';

/** What the benchmark asks of a clients process, in order. */
export type ClientsCommand =
  | { type: 'connect'; url: string; key: string; taskIds: string[]; clientsPerTask: number }
  | { type: 'measure'; from: number; to: number }
  | { type: 'drain'; lastSeqs: Record<string, number>; timeoutMs: number }
  | { type: 'stop' };

/** What a clients process answers. */
export type ClientsReply =
  { type: 'connected'; clients: number } | { type: 'report'; report: ClientsReport };

export interface ClientsReport {
  /** Events that arrived inside the measured window. */
  received: number;
  /** Latency histogram of those events: [bucket, count] pairs, bucket = ms × 10. */
  histogram: Array<[number, number]>;
  maxLatencyMs: number;
  /** Sequence numbers skipped, and events that came again or out of order, on any client. */
  gaps: number;
  duplicates: number;
  /** Clients that had not seen the last event when the drain timed out. */
  incomplete: number;
  /** Clients the server closed, by close code. */
  closed: Record<string, number>;
  errors: number;
}

/** A message from the server; cast rather than parsed: a schema check per message would cost
 * the load generator CPU that it shares with the server. */
interface ServerMessage {
  type: 'subscribed' | 'event' | 'error';
  seq?: number;
  data?: { sentAt?: number };
  message?: string;
}

interface Client {
  taskId: string;
  socket: WebSocket;
  lastSeq: number;
  isSubscribed: boolean;
  isClosed: boolean;
}

const bucketsPerMs = 10;
const maxBucket = 10_000 * bucketsPerMs; // 10 s; later arrivals land in the last bucket
const histogram = new Uint32Array(maxBucket + 1);
const clients: Client[] = [];
const closed: Record<string, number> = {};
let window = { from: Infinity, to: -Infinity };
let received = 0;
let maxLatencyMs = 0;
let gaps = 0;
let duplicates = 0;
let errors = 0;

const now = () => performance.timeOrigin + performance.now();
const reply = (message: ClientsReply) => process.send!(message);

function onMessage(client: Client, text: string) {
  const arrivedAt = now();
  const message = JSON.parse(text) as ServerMessage;
  if (message.type === 'subscribed') client.isSubscribed = true;
  if (message.type === 'error') {
    errors++;
    console.error(`live error: ${message.message}`);
  }
  if (message.type !== 'event') return;
  const seq = message.seq!;
  if (seq <= client.lastSeq) duplicates++;
  else {
    gaps += seq - client.lastSeq - 1;
    client.lastSeq = seq;
  }
  const sentAt = message.data?.sentAt;
  if (sentAt === undefined || arrivedAt < window.from || arrivedAt >= window.to) return;
  received++;
  const latencyMs = arrivedAt - sentAt;
  maxLatencyMs = Math.max(maxLatencyMs, latencyMs);
  histogram[Math.min(maxBucket, Math.max(0, Math.floor(latencyMs * bucketsPerMs)))]!++;
}

function open(url: string, key: string, taskId: string): Promise<void> {
  const socket = new WebSocket(url, ['cadre.live.v1', `bearer.${key}`]);
  const client: Client = { taskId, socket, lastSeq: 0, isSubscribed: false, isClosed: false };
  clients.push(client);
  socket.addEventListener('message', (event) => onMessage(client, String(event.data)));
  socket.addEventListener('close', (event) => {
    client.isClosed = true;
    closed[event.code] = (closed[event.code] ?? 0) + 1;
  });
  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'subscribe', id: 's1', scope: 'task', taskId }));
      resolve();
    });
    socket.addEventListener('error', () => reject(new Error(`a WebSocket to ${url} failed`)));
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function connect(command: Extract<ClientsCommand, { type: 'connect' }>) {
  const wanted = command.taskIds.flatMap((taskId) =>
    Array.from({ length: command.clientsPerTask }, () => taskId),
  );
  // In batches, as browsers would arrive over a few seconds, not in one burst of handshakes.
  for (let start = 0; start < wanted.length; start += 50) {
    await Promise.all(
      wanted.slice(start, start + 50).map((id) => open(command.url, command.key, id)),
    );
  }
  const isReady = await until(() => clients.every((client) => client.isSubscribed), 60_000);
  if (!isReady) throw new Error('not every client was subscribed within 60 s');
  reply({ type: 'connected', clients: clients.length });
}

async function drain(command: Extract<ClientsCommand, { type: 'drain' }>) {
  const isDone = (client: Client) =>
    client.isClosed || client.lastSeq >= command.lastSeqs[client.taskId]!;
  await until(() => clients.every(isDone), command.timeoutMs);
  const pairs: Array<[number, number]> = [];
  histogram.forEach((count, bucket) => count > 0 && pairs.push([bucket, count]));
  reply({
    type: 'report',
    report: {
      received,
      histogram: pairs,
      maxLatencyMs,
      gaps,
      duplicates,
      incomplete: clients.filter((client) => !isDone(client) || client.isClosed).length,
      closed,
      errors,
    },
  });
}

process.on('message', (command: ClientsCommand) => {
  if (command.type === 'connect') void connect(command).catch(fail);
  if (command.type === 'measure') window = { from: command.from, to: command.to };
  if (command.type === 'drain') void drain(command).catch(fail);
  if (command.type === 'stop') {
    for (const client of clients) client.socket.close();
    void until(() => clients.every((client) => client.isClosed), 5000).then(() => process.exit(0));
  }
});

function fail(error: unknown) {
  console.error(error);
  process.exit(1);
}
