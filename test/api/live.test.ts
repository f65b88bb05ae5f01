// The live event WebSocket on a real listening server: isolation between organizations,
// resuming after a cut with no gap and no repeat, and dropping dead or slow clients.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { ServerConfig } from '../../src/config/index.js';
import { createProject, createTask, publishEvents } from '../../src/orchestrator/index.js';
import { createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { emitEvent } from '../helpers/tasks.js';
import { openLiveSocket } from '../helpers/live-socket.js';
import { waitFor } from '../helpers/wait.js';

const bus = createInProcessBus();
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp(
    { server: ServerConfig.parse({ liveHeartbeatMs: 200, liveMaxBufferedBytes: 4096 }) },
    { bus },
  );
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await t.close();
  await bus.close();
});

interface Received {
  type: string;
  id?: string;
  seq?: number;
  eventType?: string;
  code?: string;
}

function open(key: string) {
  return openLiveSocket<Received>(port, key);
}

/** Appends an event to a task's log and publishes it, as the orchestrator does. */
async function emit(
  orgId: string,
  taskId: string,
  type: string,
  data: Record<string, unknown> = {},
) {
  return emitEvent(t.database.db, bus, { orgId, taskId, type, data });
}

async function newTask(orgId: string, name: string) {
  const project = await createProject(t.database.db, orgId, { name });
  return createTask(t.database.db, { orgId, input: { projectId: project.id, description: name } }); // events 1 and 2
}

const seqs = (received: Received[], id: string) =>
  received
    .filter((message) => message.type === 'event' && message.id === id)
    .map((message) => message.seq);

describe('the live WebSocket', () => {
  it("refuses a subscription to another organization's task and sends it nothing", async () => {
    const mine = await createOrganization(t.database, 'Live A');
    const theirs = await createOrganization(t.database, 'Live B');
    const secret = await newTask(mine.orgId, 'secret');
    const own = await newTask(theirs.orgId, 'own');
    const client = open(theirs.key);
    await client.opened;
    client.send({ type: 'subscribe', id: 'spy', scope: 'task', taskId: secret.id });
    client.send({ type: 'subscribe', id: 'org', scope: 'organization' });
    await waitFor('the refusal', () =>
      client.received.some((message) => message.type === 'error' && message.id === 'spy'),
    );
    expect(client.received.find((message) => message.id === 'spy')).toMatchObject({
      type: 'error',
      code: 'NOT_FOUND',
    });
    await waitFor('the organization subscription', () =>
      client.received.some((message) => message.type === 'subscribed' && message.id === 'org'),
    );
    await emit(mine.orgId, secret.id, 'step-started');
    await emit(theirs.orgId, own.id, 'step-started'); // published after the secret one
    await waitFor('their own event', () => seqs(client.received, 'org').length === 1);
    expect(
      client.received.filter((message) => message.type === 'event').map((message) => message.id),
    ).toEqual(['org']);
    client.socket.close();
  });

  it('resumes after the connection is cut, with no gap and no repeat', async () => {
    const owner = await createOrganization(t.database, 'Live C');
    const task = await newTask(owner.orgId, 'resume');
    const first = open(owner.key);
    await first.opened;
    first.send({ type: 'subscribe', id: 'task', scope: 'task', taskId: task.id });
    for (let index = 0; index < 3; index++)
      await emit(owner.orgId, task.id, 'agent-turn', { turn: index });
    await waitFor('events 1 to 5', () => seqs(first.received, 'task').length === 5);
    first.socket.close();

    await emit(owner.orgId, task.id, 'agent-turn', { turn: 3 });
    await emit(owner.orgId, task.id, 'agent-turn', { turn: 4 });
    const second = open(owner.key);
    await second.opened;
    second.send({ type: 'subscribe', id: 'task', scope: 'task', taskId: task.id, afterSeq: 5 });
    await waitFor('the missed events', () => seqs(second.received, 'task').length === 2);
    await emit(owner.orgId, task.id, 'task-done');
    await waitFor('the live event', () => seqs(second.received, 'task').length === 3);
    expect(seqs(first.received, 'task')).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(second.received, 'task')).toEqual([6, 7, 8]);
    expect(second.received.at(-1)).toMatchObject({ eventType: 'task-done' });
    second.socket.close();
  });

  it('drops a client that stops answering pings', async () => {
    const owner = await createOrganization(t.database, 'Live D');
    const { socket } = await rawClient(owner.key);
    const started = Date.now();
    await waitFor(
      'the server to drop the silent client',
      () => socket.destroyed || socket.readableEnded,
      5000,
    );
    expect(Date.now() - started).toBeLessThan(2000); // two heartbeats of 200 ms, with room
  });

  it('drops a client that cannot keep up, instead of queueing for it', async () => {
    const owner = await createOrganization(t.database, 'Live E');
    const task = await newTask(owner.orgId, 'flood');
    const { socket, received } = await rawClient(owner.key);
    socket.write(
      maskedText(JSON.stringify({ type: 'subscribe', id: 'task', scope: 'task', taskId: task.id })),
    );
    await waitFor('the subscription', () => received().includes('"subscribed"'));
    socket.pause(); // reads nothing more: the server's buffer fills up
    const big = 'x'.repeat(4000);
    for (let index = 0; index < 3000; index++)
      await publishEvents(bus, [
        { orgId: owner.orgId, taskId: task.id, type: 'agent-turn', seq: 3 + index, data: { big } },
      ]);
    socket.resume();
    await waitFor(
      'the server to close the slow client',
      () => received().includes('Client too slow'),
      10_000,
    );
  });
});

/** A WebSocket client by hand: it never answers a ping, and it can stop reading. */
async function rawClient(key: string): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    [
      'GET /api/live HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: cadre.live.v1, bearer.${key}`,
      '',
      '',
    ].join('\r\n'),
  );
  await waitFor('the upgrade', () => text.startsWith('HTTP/1.1 101'));
  return { socket, received: () => text };
}

/** One masked text frame, as a client must send it. */
function maskedText(payload: string): Buffer {
  const data = Buffer.from(payload);
  const mask = randomBytes(4);
  const header =
    data.length < 126
      ? Buffer.from([0x81, 0x80 | data.length])
      : Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.from(data.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([header, mask, masked]);
}

describe('the live route without a WebSocket', () => {
  it('answers 401 in the error shape to a request without credentials', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/live' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
  });
});
