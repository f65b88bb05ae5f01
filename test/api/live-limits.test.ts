// The live WebSocket's limits on a real listening server: subscriptions per socket, and
// sockets per key or session, each refused with a stable code and freed when given back.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { ServerConfig } from '../../src/config/index.js';
import { createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { openLiveSocket } from '../helpers/live-socket.js';
import { waitFor } from '../helpers/wait.js';

const bus = createInProcessBus();
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp(
    { server: ServerConfig.parse({ liveMaxSubscriptions: 3, liveMaxSocketsPerCredential: 2 }) },
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
  code?: string;
  message?: string;
}

function open(key: string) {
  const live = openLiveSocket<Received>(port, key);
  const { socket, received } = live;
  /** Sends a subscription and waits for its answer: subscribed, or an error. */
  const subscribe = async (id: string) => {
    const seen = received.length;
    socket.send(JSON.stringify({ type: 'subscribe', id, scope: 'organization' }));
    return waitFor(`the answer to ${id}`, () =>
      received.slice(seen).find((message) => message.id === id),
    );
  };
  return { ...live, subscribe };
}

/** The HTTP answer to an upgrade request, for an upgrade the server refuses. */
function upgradeAnswer(key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const upgrade = request({
      host: '127.0.0.1',
      port,
      path: '/api/live',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': `cadre.live.v1, bearer.${key}`,
      },
    });
    upgrade.on('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    upgrade.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    upgrade.on('error', reject);
    upgrade.end();
  });
}

describe('live limits', () => {
  it('refuses a subscription past the limit, and frees a place on unsubscribe', async () => {
    const client = open(t.adminKey);
    await client.opened;
    for (const id of ['a', 'b', 'c']) {
      expect(await client.subscribe(id)).toMatchObject({ type: 'subscribed' });
    }
    expect(await client.subscribe('d')).toMatchObject({
      type: 'error',
      code: 'LIVE_SUBSCRIPTION_LIMIT',
      message: expect.stringContaining('3 subscriptions'),
    });
    // Replacing a held subscription takes no new place.
    expect(await client.subscribe('a')).toMatchObject({ type: 'subscribed' });
    client.socket.send(JSON.stringify({ type: 'unsubscribe', id: 'b' }));
    expect(await client.subscribe('d')).toMatchObject({ type: 'subscribed' });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
    await client.closed;
  });

  it('refuses a socket past the limit for one key, and not for another key', async () => {
    const first = open(t.adminKey);
    const second = open(t.adminKey);
    await Promise.all([first.opened, second.opened]);

    const refused = await upgradeAnswer(t.adminKey);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { code: 'LIVE_SOCKET_LIMIT', details: { limit: 2 } },
    });
    const other = await createOrganization(t.database, 'Live limits');
    const theirs = open(other.key);
    await theirs.opened;

    first.socket.close();
    await first.closed;
    const again = await waitFor('a place to be free again', async () => {
      const attempt = open(t.adminKey);
      return attempt.opened.then(
        () => attempt,
        () => null,
      );
    });
    for (const client of [second, theirs, again]) {
      client.socket.close();
      await client.closed;
    }
  });
});
