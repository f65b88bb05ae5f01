import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let projectId: string;
let otherProjectId: string;
beforeAll(async () => {
  t = await createTestApp();
  const create = (name: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(t.adminKey),
      payload: { name },
    });
  projectId = (await create('tasks-main')).json().id;
  otherProjectId = (await create('tasks-other')).json().id;
});
afterAll(() => t.close());

async function createTask(payload: Record<string, unknown>, key = t.adminKey) {
  return t.app.inject({ method: 'POST', url: '/api/tasks', headers: bearer(key), payload });
}

async function listTasks(query: string, key = t.adminKey) {
  return t.app.inject({ method: 'GET', url: `/api/tasks?${query}`, headers: bearer(key) });
}

describe('tasks', () => {
  it('creates a queued task titled by the first line of its description', async () => {
    const response = await createTask({
      projectId,
      description: 'Add a shopping cart\nIt keeps items between visits.',
      priority: 5,
      budgetUsd: 2.5,
    });
    expect(response.statusCode).toBe(201);
    const task = response.json();
    expect(task).toMatchObject({
      projectId,
      title: 'Add a shopping cart',
      status: 'queued',
      priority: 5,
      budgetUsd: 2.5,
      startedAt: null,
    });

    const long = await createTask({ projectId, description: 'word '.repeat(40) });
    expect(long.json().title).toHaveLength(80);
    expect(long.json().title.endsWith('...')).toBe(true);

    const shown = await t.app.inject({
      method: 'GET',
      url: `/api/tasks/${task.id}`,
      headers: bearer(t.adminKey),
    });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(task);
  });

  it('answers 404 for a task in a project that does not exist', async () => {
    const response = await createTask({ projectId: randomUUID(), description: 'lost' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('NOT_FOUND');
  });

  it('pages through tasks with a cursor: newest first, no duplicates, no gaps', async () => {
    const created: string[] = [];
    for (let index = 1; index <= 7; index++) {
      const response = await createTask({
        projectId: otherProjectId,
        description: `page ${index}`,
      });
      created.push(response.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `projectId=${otherProjectId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await listTasks(query)).json() as {
        items: { id: string; projectId: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(3);
      expect(page.items.every((item) => item.projectId === otherProjectId)).toBe(true);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());

    // The same pages again: the order is stable.
    const again = (await listTasks(`projectId=${otherProjectId}&limit=3`)).json();
    expect(again.items.map((item: { id: string }) => item.id)).toEqual(seen.slice(0, 3));
  });

  it('filters by status, one or several', async () => {
    const task = (await createTask({ projectId, description: 'to cancel for the filter' })).json();
    await t.app.inject({
      method: 'POST',
      url: `/api/tasks/${task.id}/cancel`,
      headers: bearer(t.adminKey),
    });
    const cancelled = (await listTasks('status=cancelled')).json();
    expect(cancelled.items.map((item: { id: string }) => item.id)).toEqual([task.id]);
    const both = (await listTasks(`status=queued,cancelled&projectId=${projectId}`)).json();
    expect(both.items.length).toBeGreaterThan(1);
    expect(both.items.map((item: { id: string }) => item.id)).toContain(task.id);
    const queued = (await listTasks(`status=queued&projectId=${projectId}`)).json();
    expect(queued.items.map((item: { id: string }) => item.id)).not.toContain(task.id);
  });

  it.each([
    ['a cursor that is not one', 'cursor=not-a-cursor', 'cursor'],
    ['an unknown status', 'status=sleeping', 'status'],
    ['a limit over 200', 'limit=500', 'limit'],
    ['a bad project id', 'projectId=p1', 'projectId'],
  ])('answers 400 for %s', async (_name, query, field) => {
    const response = await listTasks(query);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('VALIDATION_FAILED');
    expect(response.json().error.message).toContain(field);
  });

  it('cancels a task once, recording a task-cancelled event', async () => {
    const task = (await createTask({ projectId, description: 'cancel me' })).json();
    const cancel = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/tasks/${task.id}/cancel`,
        headers: bearer(t.adminKey),
      });
    const first = await cancel();
    expect(first.statusCode).toBe(200);
    expect(first.json().status).toBe('cancelled');
    expect(first.json().finishedAt).not.toBeNull();

    const events = await t.database.db
      .select({ seq: tables.events.seq, type: tables.events.type })
      .from(tables.events)
      .where(eq(tables.events.taskId, task.id))
      .orderBy(asc(tables.events.seq));
    // The log is numbered 1, 2, 3… with no gap; it opens with the creation and the cancel is
    // appended once, last (the orchestrator may log its own events in between).
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]).toEqual({ seq: 1, type: 'task-created' });
    expect(events.at(-1)).toEqual({ seq: events.length, type: 'task-cancelled' });
    expect(events.filter((event) => event.type === 'task-cancelled')).toHaveLength(1);

    const second = await cancel();
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('INVALID_STATE');
    expect(second.json().error.message).toContain('cancelled');
  });

  it("keeps another organization's tasks out of reach: 404, never their data", async () => {
    const other = await createOrganization(t.database, 'Rival');
    const mine = (await createTask({ projectId, description: 'secret plan' })).json();

    const create = await createTask({ projectId, description: 'intrusion' }, other.key);
    expect(create.statusCode).toBe(404);
    for (const [method, url] of [
      ['GET', `/api/tasks/${mine.id}`],
      ['POST', `/api/tasks/${mine.id}/cancel`],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: bearer(other.key) });
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('secret plan');
    }
    const list = (await listTasks('', other.key)).json();
    expect(list.items).toEqual([]);
    const byProject = (await listTasks(`projectId=${projectId}`, other.key)).json();
    expect(byProject.items).toEqual([]);

    const unchanged = await t.app.inject({
      method: 'GET',
      url: `/api/tasks/${mine.id}`,
      headers: bearer(t.adminKey),
    });
    expect(unchanged.json().status).toBe('queued');
  });
});

describe('task events', () => {
  it("lists a task's events in order after a given sequence number", async () => {
    const headers = bearer(t.adminKey);
    const project = (
      await t.app.inject({
        method: 'POST',
        url: '/api/projects',
        headers,
        payload: { name: 'events-log' },
      })
    ).json();
    const task = (
      await t.app.inject({
        method: 'POST',
        url: '/api/tasks',
        headers,
        payload: { projectId: project.id, description: 'log me' },
      })
    ).json();
    await t.app.inject({ method: 'POST', url: `/api/tasks/${task.id}/cancel`, headers });

    const all = (
      await t.app.inject({ method: 'GET', url: `/api/tasks/${task.id}/events`, headers })
    ).json().items;
    expect(all.map((event: { seq: number; type: string }) => [event.seq, event.type])).toEqual([
      [1, 'task-created'],
      [2, 'step-queued'],
      [3, 'task-cancelled'],
    ]);
    const after1 = (
      await t.app.inject({ method: 'GET', url: `/api/tasks/${task.id}/events?after=2`, headers })
    ).json().items;
    expect(after1.map((event: { seq: number }) => event.seq)).toEqual([3]);
    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/tasks/${task.id}/events?after=-1`,
      headers,
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe("the organization's recent events", () => {
  it('lists the latest events newest first with their tasks, and none of another organization', async () => {
    const first = (await createTask({ projectId, description: 'Recent one' })).json();
    const second = (await createTask({ projectId, description: 'Recent two' })).json();
    const stranger = await createOrganization(t.database, 'Recent events');
    const theirProject = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(stranger.key),
      payload: { name: 'theirs' },
    });
    await createTask({ projectId: theirProject.json().id, description: 'Theirs' }, stranger.key);

    const response = await t.app.inject({
      method: 'GET',
      url: '/api/events?limit=3',
      headers: bearer(t.adminKey),
    });
    expect(response.statusCode).toBe(200);
    const items = response.json().items as { taskId: string; taskTitle: string; type: string }[];
    expect(items).toHaveLength(3);
    expect(items.slice(0, 2).map((item) => item.taskId)).toEqual([second.id, second.id]);
    expect(items[0]).toMatchObject({ taskTitle: 'Recent two' });
    expect(items[2]).toMatchObject({ taskId: first.id });
    expect(items.map((item) => item.taskTitle)).not.toContain('Theirs');

    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/events?limit=0',
      headers: bearer(t.adminKey),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });
});
