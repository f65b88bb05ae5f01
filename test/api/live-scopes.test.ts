// The live WebSocket's other subscriptions on a real listening server: a project's events, an
// agent's changes, a terminal both ways, and who else is looking at a task. Each refuses what
// belongs to another organization.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { tables } from '../../src/db/index.js';
import {
  agentStarted,
  agentTopic,
  createProject,
  createTask,
} from '../../src/orchestrator/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { emitEvent } from '../helpers/tasks.js';
import { openLiveSocket } from '../helpers/live-socket.js';
import { waitFor } from '../helpers/wait.js';

const bus = createInProcessBus();
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({}, { bus });
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
  taskId?: string;
  eventType?: string;
  code?: string;
  status?: string;
  data?: string;
  viewers?: { name: string; isYou: boolean }[];
}

async function open(key: string) {
  const { socket, received, opened } = openLiveSocket<Received>(port, key);
  await opened;
  const of = (id: string) => received.filter((message) => message.id === id);
  const subscribe = async (id: string, scope: Record<string, unknown>) => {
    socket.send(JSON.stringify({ type: 'subscribe', id, ...scope }));
    await waitFor(`subscription ${id}`, () =>
      of(id).some((message) => message.type === 'subscribed' || message.type === 'error'),
    );
    return of(id).find((message) => message.type === 'error');
  };
  return {
    socket,
    of,
    subscribe,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
  };
}

async function emit(orgId: string, taskId: string, type: string) {
  await emitEvent(t.database.db, bus, { orgId, taskId, type });
}

describe('live subscriptions', () => {
  it("sends a project's task events and nothing of its other projects", async () => {
    const owner = await createOrganization(t.database, 'Scopes A');
    const stranger = await createOrganization(t.database, 'Scopes B');
    const db = t.database.db;
    const shop = await createProject(db, owner.orgId, { name: 'shop' });
    const blog = await createProject(db, owner.orgId, { name: 'blog' });
    const inShop = await createTask(db, {
      orgId: owner.orgId,
      input: { projectId: shop.id, description: 'in shop' },
    });
    const inBlog = await createTask(db, {
      orgId: owner.orgId,
      input: { projectId: blog.id, description: 'in blog' },
    });

    const spy = await open(stranger.key);
    expect(await spy.subscribe('p', { scope: 'project', projectId: shop.id })).toMatchObject({
      code: 'NOT_FOUND',
    });
    const client = await open(owner.key);
    expect(await client.subscribe('p', { scope: 'project', projectId: shop.id })).toBeUndefined();
    await emit(owner.orgId, inBlog.id, 'step-started');
    await emit(owner.orgId, inShop.id, 'step-started');
    await waitFor('the shop event', () => client.of('p').some((m) => m.type === 'event'));
    await emit(owner.orgId, inShop.id, 'step-done');
    await waitFor(
      'both shop events',
      () => client.of('p').filter((m) => m.type === 'event').length === 2,
    );
    expect(client.of('p').filter((m) => m.type === 'event')).toMatchObject([
      { taskId: inShop.id, eventType: 'step-started' },
      { taskId: inShop.id, eventType: 'step-done' },
    ]);
    expect(spy.of('p').filter((m) => m.type === 'event')).toEqual([]);
    client.socket.close();
    spy.socket.close();
  });

  it("sends an agent's state and its changes, to its own organization only", async () => {
    const owner = await createOrganization(t.database, 'Scopes C');
    const stranger = await createOrganization(t.database, 'Scopes D');
    const db = t.database.db;
    const project = await createProject(db, owner.orgId, { name: 'agents' });
    const task = await createTask(db, {
      orgId: owner.orgId,
      input: { projectId: project.id, description: 'agents' },
    });
    const [step] = await db
      .insert(tables.steps)
      .values({
        orgId: owner.orgId,
        taskId: task.id,
        key: 'work-1',
        role: 'developer',
        kind: 'work',
        goal: 'g',
      })
      .returning();
    const agentId = await agentStarted(db, {
      orgId: owner.orgId,
      role: 'developer',
      workerId: 'w1',
      slot: 0,
      stepId: step!.id,
    });

    const spy = await open(stranger.key);
    expect(await spy.subscribe('a', { scope: 'agent', agentId })).toMatchObject({
      code: 'NOT_FOUND',
    });
    const client = await open(owner.key);
    const organization = await open(owner.key);
    await organization.subscribe('o', { scope: 'organization' });
    expect(await client.subscribe('a', { scope: 'agent', agentId })).toBeUndefined();
    expect(client.of('a')[0]).toMatchObject({ type: 'agent', agentId, status: 'working' });
    await bus.publish(agentTopic(owner.orgId, agentId), {
      agentId,
      status: 'idle',
      stepId: step!.id,
    });
    await waitFor(
      'the change',
      () => client.of('a').filter((m) => m.type === 'agent').length === 2,
    );
    expect(client.of('a').at(-1)).toMatchObject({ status: 'idle' });
    await waitFor('the change on the organization stream', () =>
      organization.of('o').some((m) => m.type === 'agent' && m.status === 'idle'),
    );
    for (const open of [client, organization, spy]) open.socket.close();
  });

  it('tells each viewer of a task who else is looking at it, and when they leave', async () => {
    const owner = await createOrganization(t.database, 'Scopes E');
    const project = await createProject(t.database.db, owner.orgId, { name: 'presence' });
    const task = await createTask(t.database.db, {
      orgId: owner.orgId,
      input: { projectId: project.id, description: 'presence' },
    });
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(owner.key),
      payload: { name: 'reviewer laptop', role: 'viewer' },
    });
    expect(other.statusCode).toBe(201);
    const names = (client: Awaited<ReturnType<typeof open>>) =>
      client
        .of('t')
        .filter((m) => m.type === 'presence')
        .at(-1)
        ?.viewers?.map((viewer) => viewer.name);

    const first = await open(owner.key);
    await first.subscribe('t', { scope: 'task', taskId: task.id });
    await waitFor('the first viewer alone', () => names(first)?.length === 1);
    const second = await open(other.json().key as string);
    await second.subscribe('t', { scope: 'task', taskId: task.id });
    await waitFor('both viewers', () => names(first)?.length === 2 && names(second)?.length === 2);
    expect(names(second)).toContain('API key "reviewer laptop"');
    const latest = second
      .of('t')
      .filter((m) => m.type === 'presence')
      .at(-1)!.viewers!;
    expect(latest.find((viewer) => viewer.isYou)).toMatchObject({
      name: 'API key "reviewer laptop"',
    });
    expect(latest.filter((viewer) => viewer.isYou)).toHaveLength(1);
    second.socket.close();
    await waitFor('the second viewer gone', () => names(first)?.length === 1);
    first.socket.close();
  });

  it('streams a terminal both ways, and refuses it to a viewer and to another organization', async () => {
    const owner = await createOrganization(t.database, 'Scopes F');
    const stranger = await createOrganization(t.database, 'Scopes G');
    const call = async (method: 'POST' | 'GET', url: string, payload?: object) => {
      const response = await t.app.inject({ method, url, headers: bearer(owner.key), payload });
      expect(response.statusCode, response.body).toBeLessThan(300);
      return response.json() as { id: string };
    };
    const project = await call('POST', '/api/projects', { name: 'terminal' });
    const task = await call('POST', '/api/tasks', { projectId: project.id, description: 'shell' });
    await call('POST', `/api/projects/${project.id}/workspace`, {});
    await call('POST', `/api/projects/${project.id}/tasks/${task.id}/worktree`, {});
    const terminal = await call('POST', `/api/projects/${project.id}/tasks/${task.id}/terminals`, {
      cols: 80,
      rows: 24,
    });
    const scope = {
      scope: 'terminal',
      projectId: project.id,
      taskId: task.id,
      terminalId: terminal.id,
    };

    const spy = await open(stranger.key);
    expect(await spy.subscribe('x', scope)).toMatchObject({ code: 'NOT_FOUND' });
    const viewerKey = (await call('POST', '/api/keys', {
      name: 'read only',
      role: 'viewer',
    })) as unknown as { key: string };
    const viewer = await open(viewerKey.key);
    expect(await viewer.subscribe('x', scope)).toMatchObject({ code: 'FORBIDDEN' });

    const client = await open(owner.key);
    expect(await client.subscribe('x', scope)).toBeUndefined();
    client.send({ type: 'terminal-input', id: 'x', data: 'echo "live-$((6*7))"; exit 3\r' });
    const output = () =>
      client
        .of('x')
        .filter((m) => m.type === 'terminal-output')
        .map((m) => m.data)
        .join('');
    await waitFor('the output', () => /live-42/.test(output()), 10_000);
    await waitFor('the exit', () => client.of('x').some((m) => m.type === 'terminal-exit'), 10_000);
    expect(client.of('x').find((m) => m.type === 'terminal-exit')).toMatchObject({ exitCode: 3 });
    client.send({ type: 'terminal-input', id: 'nothing', data: 'ls\r' });
    await waitFor('the refusal', () => client.of('nothing').length === 1);
    expect(client.of('nothing')[0]).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    for (const open of [client, viewer, spy]) open.socket.close();
  });
});
