// Browser sessions against a real listening server: the session cookie's flags, CSRF and
// Origin checks on what the cookie authenticates (HTTP and WebSocket), bearer keys untouched by
// either, sign-out, and the security headers on API, static and error responses.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { ServerConfig } from '../../src/config/index.js';
import { tables } from '../../src/db/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

const bus = createInProcessBus();
const password = 'correct horse battery staple';
const trustedOrigin = 'https://cadre.example.com';
let t: TestApp;
let port: number;
let base: string;
let appOrigin: string;

beforeAll(async () => {
  const webRoot = await mkdtemp(join(tmpdir(), 'cadre-web-root-'));
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Cadre</title>');
  await writeFile(join(webRoot, 'assets', 'app.js'), 'console.log(1)');
  t = await createTestApp(
    { server: ServerConfig.parse({ allowedOrigins: [trustedOrigin] }) },
    { bus, webRoot },
  );
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  appOrigin = base;
  const set = await fetch(`${base}/api/auth/password`, {
    method: 'PUT',
    headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  expect(set.status).toBe(204);
});
afterAll(async () => {
  await t.close();
  await bus.close();
});

/** The cookies a response sets, by name: value and attributes as sent. */
function setCookies(response: Response) {
  const byName = new Map<string, { value: string; attributes: string[] }>();
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const [name, ...value] = pair!.split('=');
    byName.set(name!, {
      value: value.join('='),
      attributes: attributes.map((a) => a.toLowerCase()),
    });
  }
  return byName;
}

async function signInWithCookie(headers: Record<string, string> = { origin: appOrigin }) {
  const response = await fetch(`${base}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email: 'admin@localhost', password, cookie: true }),
  });
  const cookies = setCookies(response);
  const body = (await response.json()) as Record<string, unknown>;
  const session = cookies.get('cadre_session');
  return {
    response,
    body,
    cookies,
    cookie: session ? `cadre_session=${session.value}` : '',
    csrfToken: body.csrfToken as string,
  };
}

async function projectCount(name: string) {
  const [row] = await t.database.db
    .select({ n: count() })
    .from(tables.projects)
    .where(eq(tables.projects.name, name));
  return row!.n;
}

function createProject(name: string, headers: Record<string, string>) {
  return fetch(`${base}/api/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name }),
  });
}

/**
 * A WebSocket handshake by hand, so that Origin and Cookie are the test's to choose: the
 * answer's status, the subprotocol it chose, and its body when it refused.
 */
function upgrade(path: string, headers: Record<string, string>) {
  const lines = Object.entries({
    host: `127.0.0.1:${port}`,
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-protocol': 'cadre.live.v1',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  return new Promise<{ status: number; protocol: string | null; body: string }>(
    (resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      const settle = () => {
        const [head = '', body = ''] = text.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        const protocol = /^sec-websocket-protocol: (.*)$/im.exec(head)?.[1] ?? null;
        resolve({ status, protocol, body });
      };
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) socket.destroy();
      });
      socket.on('close', settle);
      socket.on('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
    },
  );
}

describe('password sign-in for a browser', () => {
  it('holds the session in an httpOnly, SameSite=Strict cookie and never answers the token', async () => {
    const { response, body, cookies } = await signInWithCookie();
    expect(response.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['csrfToken', 'expiresAt']);
    const session = cookies.get('cadre_session')!;
    expect(session.value).toMatch(/^cadre_session_\w+$/);
    expect(session.attributes).toEqual(
      expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']),
    );
    expect(session.attributes.some((item) => item.startsWith('expires='))).toBe(true);
    expect(session.attributes).not.toContain('secure'); // plain http, from an http page
    // The marker page scripts may read says only that there is a session.
    const marker = cookies.get('cadre_signed_in')!;
    expect(marker.value).toBe('1');
    expect(marker.attributes).not.toContain('httponly');
  });

  it('marks the cookie Secure when the page is https', async () => {
    const { response, cookies } = await signInWithCookie({ origin: trustedOrigin });
    expect(response.status).toBe(200);
    expect(cookies.get('cadre_session')!.attributes).toContain('secure');
    expect(cookies.get('cadre_signed_in')!.attributes).toContain('secure');
  });

  it('refuses to sign a browser in from a foreign page (login CSRF)', async () => {
    const { response, body, cookies } = await signInWithCookie({ origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(body).toMatchObject({ error: { code: 'ORIGIN_NOT_ALLOWED' } });
    expect(cookies.size).toBe(0);
  });

  it('still answers programs the token when they do not ask for a cookie', async () => {
    const response = await fetch(`${base}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { token: string }).token).toMatch(/^cadre_session_/);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('requests made with the session cookie', () => {
  it('reads with the cookie alone and tells the page its CSRF token', async () => {
    const { cookie, csrfToken } = await signInWithCookie();
    const projects = await fetch(`${base}/api/projects`, { headers: { cookie } });
    expect(projects.status).toBe(200);
    const session = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
    expect(await session.json()).toEqual({ credential: 'session', apiKeyId: null, csrfToken });
  });

  it('refuses an unsafe request without the CSRF token, and changes nothing', async () => {
    const { cookie } = await signInWithCookie();
    const response = await createProject('forged-no-token', { cookie });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'CSRF_TOKEN_INVALID' } });
    const wrong = await createProject('forged-no-token', { cookie, 'x-csrf-token': 'guess' });
    expect(wrong.status).toBe(403);
    const crossSite = await createProject('forged-no-token', {
      cookie,
      origin: 'https://evil.example',
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: { code: 'ORIGIN_NOT_ALLOWED' } });
    expect(await projectCount('forged-no-token')).toBe(0);
  });

  it('refuses a forged DELETE: the API key it aims at keeps working', async () => {
    const { cookie } = await signInWithCookie();
    const made = await fetch(`${base}/api/keys`, {
      method: 'POST',
      headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', role: 'member' }),
    });
    const key = (await made.json()) as { id: string; key: string };
    const forged = await fetch(`${base}/api/keys/${key.id}`, {
      method: 'DELETE',
      headers: { cookie },
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'CSRF_TOKEN_INVALID' } });
    expect((await fetch(`${base}/api/projects`, { headers: bearer(key.key) })).status).toBe(200);
  });

  it('refuses a cross-site POST even with the CSRF token, and changes nothing', async () => {
    const { cookie, csrfToken } = await signInWithCookie();
    const response = await createProject('forged-cross-site', {
      cookie,
      'x-csrf-token': csrfToken,
      origin: 'https://evil.example',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'ORIGIN_NOT_ALLOWED' } });
    expect(await projectCount('forged-cross-site')).toBe(0);
  });

  it("accepts an unsafe request from the app's own page with the token", async () => {
    const { cookie, csrfToken } = await signInWithCookie();
    const response = await createProject('from-the-page', {
      cookie,
      'x-csrf-token': csrfToken,
      origin: appOrigin,
    });
    expect(response.status).toBe(201);
    const fromTrusted = await createProject('from-the-trusted-origin', {
      cookie,
      'x-csrf-token': csrfToken,
      origin: trustedOrigin,
    });
    expect(fromTrusted.status).toBe(201);
  });

  it("does not accept one session's CSRF token for another", async () => {
    const first = await signInWithCookie();
    const second = await signInWithCookie();
    const response = await createProject('crossed-tokens', {
      cookie: second.cookie,
      'x-csrf-token': first.csrfToken,
    });
    expect(response.status).toBe(403);
    expect(await projectCount('crossed-tokens')).toBe(0);
  });

  it('leaves bearer API keys alone: no CSRF token, whatever the Origin', async () => {
    const response = await createProject('from-a-program', {
      ...bearer(t.adminKey),
      origin: 'https://elsewhere.example',
    });
    expect(response.status).toBe(201);
  });

  it('signs out: the cookie is cleared and the session ends on the server', async () => {
    const { cookie, csrfToken } = await signInWithCookie();
    const out = await fetch(`${base}/api/auth/sign-out`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, origin: appOrigin },
    });
    expect(out.status).toBe(204);
    const cleared = setCookies(out);
    for (const name of ['cadre_session', 'cadre_signed_in']) {
      expect(cleared.get(name)?.value).toBe('');
      expect(cleared.get(name)?.attributes).toContain('expires=thu, 01 jan 1970 00:00:00 gmt');
    }
    const after = await fetch(`${base}/api/projects`, { headers: { cookie } });
    expect(after.status).toBe(401);
    // The stale cookie is dropped on its first refusal.
    expect(setCookies(after).get('cadre_session')?.value).toBe('');
  });

  it('refuses a sign-out forged by a foreign page: the session stays', async () => {
    const { cookie } = await signInWithCookie();
    const forged = await fetch(`${base}/api/auth/sign-out`, {
      method: 'POST',
      headers: { cookie },
    });
    expect(forged.status).toBe(403);
    expect((await fetch(`${base}/api/projects`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('an API key signed in in the browser', () => {
  it('is held in the cookie, works as the key, and sign-out only forgets it', async () => {
    const response = await fetch(`${base}/api/auth/session`, {
      method: 'POST',
      headers: { ...bearer(t.adminKey), origin: appOrigin },
    });
    expect(response.status).toBe(200);
    const session = (await response.json()) as { apiKeyId: string; csrfToken: string };
    expect(session).toMatchObject({ credential: 'api-key', apiKeyId: expect.any(String) });
    expect(JSON.stringify(session)).not.toContain(t.adminKey);
    const held = setCookies(response).get('cadre_session')!;
    expect(held.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict']));
    const cookie = `cadre_session=${held.value}`;

    const created = await createProject('from-a-key-session', {
      cookie,
      'x-csrf-token': session.csrfToken,
    });
    expect(created.status).toBe(201);
    const forged = await createProject('forged-key-session', { cookie });
    expect(forged.status).toBe(403);

    const out = await fetch(`${base}/api/auth/sign-out`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': session.csrfToken },
    });
    expect(out.status).toBe(204);
    expect(setCookies(out).get('cadre_session')?.value).toBe('');
    // The key is the user's, not the browser's: it keeps working for programs.
    expect((await fetch(`${base}/api/projects`, { headers: bearer(t.adminKey) })).status).toBe(200);
  });

  it('refuses a wrong key and sets no cookie', async () => {
    const response = await fetch(`${base}/api/auth/session`, {
      method: 'POST',
      headers: { authorization: 'Bearer cadre_not_a_key' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('WebSockets with the session cookie', () => {
  it("opens the live stream from the app's own origin and refuses any other", async () => {
    const { cookie } = await signInWithCookie();
    const own = await upgrade('/api/live', { cookie, origin: appOrigin });
    expect(own.status).toBe(101);
    expect(own.protocol).toBe('cadre.live.v1');

    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${port + 1}`]) {
      const foreign = await upgrade('/api/live', { cookie, origin });
      expect(foreign.status, origin).toBe(403);
      expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'ORIGIN_NOT_ALLOWED' } });
    }
    const noOrigin = await upgrade('/api/live', { cookie });
    expect(noOrigin.status).toBe(403);
    expect((await upgrade('/api/live', { cookie, origin: trustedOrigin })).status).toBe(101);
  });

  it('refuses a terminal stream to a foreign page before looking the terminal up', async () => {
    const { cookie } = await signInWithCookie();
    const path = `/api/projects/${randomUUID()}/tasks/${randomUUID()}/terminals/t1/stream`;
    const foreign = await upgrade(path, {
      cookie,
      origin: 'https://evil.example',
      'sec-websocket-protocol': 'cadre.terminal.v1',
    });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'ORIGIN_NOT_ALLOWED' } });
    // From the app's own page the cookie counts, and the unknown task is a plain 404.
    const own = await upgrade(path, {
      cookie,
      origin: appOrigin,
      'sec-websocket-protocol': 'cadre.terminal.v1',
    });
    expect(own.status).toBe(404);
  });

  it('lets programs in with a bearer subprotocol, whatever the Origin', async () => {
    const program = await upgrade('/api/live', {
      'sec-websocket-protocol': `cadre.live.v1, bearer.${t.adminKey}`,
      origin: 'https://elsewhere.example',
    });
    expect(program.status).toBe(101);
  });
});

describe('security headers', () => {
  const expectHeaders = (response: Response, what: string) => {
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("script-src 'self'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("object-src 'none'");
    expect(csp, what).not.toMatch(/script-src[^;]*unsafe/);
    expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(response.headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(response.headers.get('x-frame-options'), what).toBe('DENY');
  };

  it('are on API, static, page, error and not-found responses', async () => {
    const cases: [string, string, number][] = [
      ['API', '/healthz', 200],
      ['static file', '/assets/app.js', 200],
      ['page', '/tasks', 200],
      ['401', '/api/projects', 401],
      ['404 file', '/assets/missing.js', 404],
      ['API docs', '/docs/', 200],
    ];
    for (const [what, path, status] of cases) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, what).toBe(status);
      expectHeaders(response, what);
    }
    const noRoute = await fetch(`${base}/api/nothing-here`, { headers: bearer(t.adminKey) });
    expect(noRoute.status).toBe(404);
    expectHeaders(noRoute, '404 route');
    const validation = await createProject('', bearer(t.adminKey));
    expect(validation.status).toBe(400);
    expectHeaders(validation, '400');
    const csrf = await createProject('x', { cookie: (await signInWithCookie()).cookie });
    expect(csrf.status).toBe(403);
    expectHeaders(csrf, '403');
  });
});
