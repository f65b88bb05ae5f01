// Terminals over the real HTTP server: open one with REST, stream it over a WebSocket that
// authenticates like a browser (token in the subprotocol) or a CLI (Authorization header).
import { and, eq } from 'drizzle-orm';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from './helpers.js';

let t: TestApp;
let origin: string;
let terminalsUrl: string;
const headers = () => bearer(t.adminKey);

beforeAll(async () => {
  t = await createTestApp();
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  origin = address.replace(/^http/, 'ws');
  const project = (
    await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: headers(),
      payload: { name: 'ws' },
    })
  ).json();
  const task = (
    await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: headers(),
      payload: { projectId: project.id, description: 'terminal' },
    })
  ).json();
  await t.app.inject({
    method: 'POST',
    url: `/api/projects/${project.id}/workspace`,
    headers: headers(),
    payload: {},
  });
  await t.app.inject({
    method: 'POST',
    url: `/api/projects/${project.id}/tasks/${task.id}/worktree`,
    headers: headers(),
    payload: {},
  });
  terminalsUrl = `/api/projects/${project.id}/tasks/${task.id}/terminals`;
});
afterAll(() => t.close());

async function openTerminal(size = { cols: 80, rows: 24 }) {
  const response = await t.app.inject({
    method: 'POST',
    url: terminalsUrl,
    headers: headers(),
    payload: size,
  });
  expect(response.statusCode).toBe(201);
  return response.json() as { id: string; cols: number; rows: number; isRunning: boolean };
}

/** Connects to a terminal's stream and gathers what it sends. */
async function connect(id: string, init: ConstructorParameters<typeof WebSocket>[1]) {
  const socket = new WebSocket(`${origin}${terminalsUrl}/${id}/stream`, init);
  const messages: { type: string; data?: string; seq?: number; exitCode?: number }[] = [];
  let closeCode: number | null = null;
  socket.addEventListener('message', (event) => messages.push(JSON.parse(String(event.data))));
  let hasFailed = false;
  socket.addEventListener('close', (event) => (closeCode = event.code));
  socket.addEventListener('error', () => (hasFailed = true));
  await waitFor(
    () => socket.readyState === WebSocket.OPEN || closeCode !== null || hasFailed,
    10_000,
  );
  const text = () => messages.map((message) => message.data ?? '').join('');
  const send = (message: object) => socket.send(JSON.stringify(message));
  return { socket, messages, text, send, closeCode: () => closeCode };
}

describe('terminal WebSocket', () => {
  it('streams a terminal to a browser-style client that sends its token as a subprotocol', async () => {
    const terminal = await openTerminal();
    const client = await connect(terminal.id, {
      protocols: ['cadre.terminal.v1', `bearer.${t.adminKey}`],
    });
    expect(client.socket.protocol).toBe('cadre.terminal.v1');
    client.send({
      type: 'input',
      data: 'for i in 1 2 3 4 5; do echo n$i; done; echo "ws-$((6*7))"\r',
    });
    await waitFor(() => /ws-42/.test(client.text()), 10_000);
    expect([...client.text().matchAll(/^n(\d)\r?$/gm)].map((match) => match[1])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    const seqs = client.messages.flatMap((message) =>
      message.type === 'output' ? [message.seq] : [],
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a! - b!));

    client.send({ type: 'resize', cols: 100, rows: 30 });
    client.send({ type: 'input', data: 'stty size\r' });
    await waitFor(() => /30 100/.test(client.text()), 10_000);

    client.send({ type: 'input', data: 'exit 3\r' });
    await waitFor(() => client.closeCode() !== null, 10_000);
    expect(client.messages.at(-1)).toMatchObject({ type: 'exit', exitCode: 3 });
    // The ended shell is accounted like any run of the task.
    const runsUrl = terminalsUrl.replace(/terminals$/, 'runs');
    const runs = async () =>
      (await t.app.inject({ method: 'GET', url: runsUrl, headers: headers() })).json().items as {
        command: string[];
        exitCode: number;
        usage: { wallMs: number };
      }[];
    let recorded = await runs();
    await waitFor(async () => (recorded = await runs()).some((run) => run.exitCode === 3), 10_000);
    expect(recorded.find((run) => run.exitCode === 3)).toMatchObject({
      command: ['/bin/bash', '-i'],
      usage: { wallMs: expect.any(Number) },
    });
    const list = await t.app.inject({ method: 'GET', url: terminalsUrl, headers: headers() });
    expect(list.json().items.find((item: { id: string }) => item.id === terminal.id)).toMatchObject(
      {
        isRunning: false,
        exitCode: 3,
      },
    );
  });

  it('accepts the Authorization header, and two terminals stream side by side', async () => {
    const [one, two] = await Promise.all([openTerminal(), openTerminal()]);
    const a = await connect(one.id, { headers: headers() });
    const b = await connect(two.id, { headers: headers() });
    a.send({ type: 'input', data: 'echo alpha-$((1+1))\r' });
    b.send({ type: 'input', data: 'echo beta-$((2+2))\r' });
    await waitFor(() => /alpha-2/.test(a.text()) && /beta-4/.test(b.text()), 10_000);
    expect(a.text()).not.toContain('beta-4');
    a.socket.close();
    b.socket.close();
    for (const id of [one.id, two.id]) {
      const closed = await t.app.inject({
        method: 'DELETE',
        url: `${terminalsUrl}/${id}`,
        headers: headers(),
      });
      expect(closed.statusCode).toBe(204);
    }
  });

  it('refuses a connection without a valid token, or from another organization', async () => {
    const terminal = await openTerminal();
    const anonymous = await connect(terminal.id, { protocols: ['cadre.terminal.v1'] });
    expect(anonymous.socket.readyState).not.toBe(WebSocket.OPEN);
    const wrong = await connect(terminal.id, {
      protocols: ['cadre.terminal.v1', 'bearer.cadre_wrong'],
    });
    expect(wrong.socket.readyState).not.toBe(WebSocket.OPEN);
    const other = await createOrganization(t.database, 'Strangers');
    const stranger = await connect(terminal.id, {
      protocols: ['cadre.terminal.v1', `bearer.${other.key}`],
    });
    expect(stranger.socket.readyState).not.toBe(WebSocket.OPEN);
    const upgrade = await fetch(
      `${origin.replace(/^ws/, 'http')}${terminalsUrl}/${terminal.id}/stream`,
    );
    expect(upgrade.status).toBe(401);
    expect(((await upgrade.json()) as { error: { code: string } }).error.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('closes the stream of a member who is demoted to viewer while it is open', async () => {
    const terminal = await openTerminal();
    const [org] = await t.database.db.select().from(tables.organizations).limit(1);
    const [user] = await t.database.db
      .insert(tables.users)
      .values({ email: 'typist@example.com', name: 'Typist' })
      .returning();
    const orgId = org!.id;
    await t.database.db
      .insert(tables.memberships)
      .values({ orgId, userId: user!.id, role: 'member' });
    const { key } = await createApiKey(
      t.database.db,
      { orgId, userId: user!.id, role: 'member', credentialId: user!.id, kind: 'session' },
      { name: 'typist', role: 'member' },
    );
    const client = await connect(terminal.id, {
      protocols: ['cadre.terminal.v1', `bearer.${key}`],
    });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);

    await t.database.db
      .update(tables.memberships)
      .set({ role: 'viewer' })
      .where(and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, user!.id)));
    await waitFor(() => client.closeCode() !== null, 10_000);
    expect(client.closeCode()).toBe(4003);
    const again = await connect(terminal.id, { protocols: ['cadre.terminal.v1', `bearer.${key}`] });
    expect(again.socket.readyState).not.toBe(WebSocket.OPEN);
  });
});
