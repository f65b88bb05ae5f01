// A task's delivery in the API: null until delivered, then where the result went, a local one
// with the clone URL of Cadre's repository (from the request's host or the public-URL setting).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables } from '../../src/db/index.js';
import { recordDelivery, type Delivery } from '../../src/orchestrator/index.js';
import { bearer, createTaskThroughApi, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let behindProxy: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  behindProxy = await createTestApp({
    server: { publicUrl: 'https://cadre.example.com/team' } as TestApp['config']['server'],
  });
});
afterAll(async () => {
  await t?.close();
  await behindProxy?.close();
});

async function newTask(app: TestApp) {
  const project = await app.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(app.adminKey),
    payload: { name: `delivered-${Math.random().toString(36).slice(2, 8)}` },
  });
  const projectId: string = project.json().id;
  return { projectId, taskId: await createTaskThroughApi(app, projectId, 'Add a README') };
}

async function deliver(app: TestApp, taskId: string, delivery: Delivery) {
  const [task] = await app.database.db
    .select()
    .from(tables.tasks)
    .where(eq(tables.tasks.id, taskId));
  await recordDelivery(app.database.db, task!, delivery);
}

const getTask = (app: TestApp, taskId: string, host?: string) =>
  app.app.inject({
    method: 'GET',
    url: `/api/tasks/${taskId}`,
    headers: { ...bearer(app.adminKey), ...(host ? { host } : {}) },
  });

describe('task delivery', () => {
  it('is null until the task is delivered, then the clone URL, branch and commit', async () => {
    const { projectId, taskId } = await newTask(t);
    expect((await getTask(t, taskId)).json().delivery).toBeNull();

    await deliver(t, taskId, { mode: 'local', branch: 'main', commit: 'a'.repeat(40) });
    const shown = await getTask(t, taskId, 'cadre.test:4100');
    expect(shown.json().delivery).toEqual({
      mode: 'local',
      cloneUrl: `http://cadre.test:4100/git/default/${projectId}.git`,
      branch: 'main',
      commit: 'a'.repeat(40),
    });
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/tasks?projectId=${projectId}`,
      headers: { ...bearer(t.adminKey), host: 'cadre.test:4100' },
    });
    expect(list.json().items.map((task: { delivery: unknown }) => task.delivery)).toEqual([
      shown.json().delivery,
    ]);
  });

  it('follows a delivery that moves on: a pull request opened, then merged', async () => {
    const { taskId } = await newTask(t);
    const pullRequest = {
      mode: 'pull-request' as const,
      url: 'https://git.example.com/acme/shop/pull/7',
      number: 7,
      branch: 'cadre/task-1',
      commit: 'b'.repeat(40),
    };
    await deliver(t, taskId, { ...pullRequest, state: 'open' });
    expect((await getTask(t, taskId)).json().delivery).toEqual({ ...pullRequest, state: 'open' });
    await deliver(t, taskId, { ...pullRequest, state: 'merged' });
    expect((await getTask(t, taskId)).json().delivery).toEqual({
      ...pullRequest,
      state: 'merged',
    });
    const rows = await t.database.db
      .select()
      .from(tables.taskDeliveries)
      .where(eq(tables.taskDeliveries.taskId, taskId));
    expect(rows).toHaveLength(1);

    const pushed = {
      mode: 'push' as const,
      remoteUrl: 'https://git.example.com/acme/shop.git',
      branch: 'release',
      commit: 'c'.repeat(40),
    };
    await deliver(t, taskId, pushed);
    expect((await getTask(t, taskId)).json().delivery).toEqual(pushed);
  });

  it('builds the clone URL on the public URL when one is set, whatever the request host', async () => {
    const { projectId, taskId } = await newTask(behindProxy);
    await deliver(behindProxy, taskId, { mode: 'local', branch: 'main', commit: 'd'.repeat(40) });
    const shown = await getTask(behindProxy, taskId, 'internal:4100');
    expect(shown.json().delivery.cloneUrl).toBe(
      `https://cadre.example.com/team/git/default/${projectId}.git`,
    );
  });
});
