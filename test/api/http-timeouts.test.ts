// Slow clients on a real listening server: a request whose headers never finish, or whose body
// trickles, is answered 408 REQUEST_TIMEOUT and closed within the configured time; a live
// WebSocket, once upgraded, is not a request and stays open.
import { connect } from 'node:net';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { ServerConfig } from '../../src/config/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const headersTimeoutMs = 400;
const requestTimeoutMs = 800;
const bus = createInProcessBus();
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp(
    { server: ServerConfig.parse({ headersTimeoutMs, requestTimeoutMs }) },
    { bus },
  );
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await t.close();
  await bus.close();
});

/** Opens a raw connection, sends `text`, and resolves when the server closes it. */
function slowClient(text: string): Promise<{ answer: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined); // the server may reset it; 'close' follows
    socket.on('close', () => resolve({ answer, elapsedMs: Date.now() - started }));
    // A guard, not a wait: the test fails if the server never closes the connection.
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the slow connection open'));
    }, 10_000).unref();
  });
}

// Node looks at unfinished requests at an interval of a quarter of the headers timeout (at
// most a second): a slow connection goes within the timeout and one interval.
const slack = Math.min(1000, headersTimeoutMs / 4) + 1000;

describe('HTTP timeouts', () => {
  it('closes a request whose headers never finish (slowloris) with 408 REQUEST_TIMEOUT', async () => {
    const { answer, elapsedMs } = await slowClient('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'REQUEST_TIMEOUT' },
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50);
    expect(elapsedMs).toBeLessThan(headersTimeoutMs + slack);
  });

  it('closes a connection that sends nothing at all', async () => {
    const { elapsedMs } = await slowClient('');
    expect(elapsedMs).toBeLessThan(headersTimeoutMs + slack);
  });

  it('closes a request whose body never arrives whole', async () => {
    const { answer, elapsedMs } = await slowClient(
      'POST /api/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"email":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('REQUEST_TIMEOUT');
    expect(elapsedMs).toBeLessThan(requestTimeoutMs + slack);
  });

  it('keeps answering whole requests, and keeps an upgraded live socket open past the limits', async () => {
    const live = new WebSocket(`ws://127.0.0.1:${port}/api/live`, [
      'cadre.live.v1',
      `bearer.${t.adminKey}`,
    ]);
    await new Promise((resolve) => live.addEventListener('open', resolve));
    // Both limits pass while the socket is open: a slow request opened after it is closed.
    await slowClient('POST /api/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
    expect(live.readyState).toBe(WebSocket.OPEN);
    const answered = new Promise<string>((resolve) =>
      live.addEventListener('message', (message) => resolve(String(message.data))),
    );
    live.send(JSON.stringify({ type: 'subscribe', id: 'o', scope: 'organization' }));
    expect(JSON.parse(await answered)).toMatchObject({ type: 'subscribed', id: 'o' });
    live.close();

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
  });
});
