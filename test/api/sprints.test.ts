// The sprint view through the API: sprints created and listed per organization, tasks planned
// into them with PATCH /api/tasks/:id, shown dependencies first then by priority, with the
// budget planned and spent against the capacity; a dependency cycle is refused or reported.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let orgId: string;
let projectId: string;
let other: { orgId: string; key: string };
let otherProjectId: string;
beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.app.inject({ url: '/api/auth/me', headers: bearer(t.adminKey) })).json().orgId;
  other = await createOrganization(t.database, 'Elsewhere');
  projectId = (await post('/api/projects', { name: 'sprints' })).json().id;
  otherProjectId = (await post('/api/projects', { name: 'theirs' }, other.key)).json().id;
});
afterAll(() => t.close());

function post(url: string, payload: object, key = t.adminKey) {
  return t.app.inject({ method: 'POST', url, headers: bearer(key), payload });
}
const patch = (id: string, payload: object, key = t.adminKey) =>
  t.app.inject({ method: 'PATCH', url: `/api/tasks/${id}`, headers: bearer(key), payload });
const get = (url: string, key = t.adminKey) => t.app.inject({ url, headers: bearer(key) });

async function newTask(description: string, extra: Record<string, unknown> = {}) {
  const response = await post('/api/tasks', { projectId, description, ...extra });
  expect(response.statusCode).toBe(201);
  return response.json().id as string;
}

const count = async (table: string) =>
  (await t.database.db.execute<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM ${table}`)))
    .rows[0]!.n;

describe('sprints', () => {
  it('creates a sprint and lists it to its organization only', async () => {
    const response = await post('/api/sprints', {
      name: 'Sprint 1',
      projectId,
      capacityUsd: 12.5,
      startsAt: '2026-11-23T09:00:00.000Z',
      endsAt: '2026-12-04T17:00:00.000Z',
    });
    expect(response.statusCode).toBe(201);
    const sprint = response.json();
    expect(sprint).toMatchObject({
      name: 'Sprint 1',
      projectId,
      capacityUsd: 12.5,
      startsAt: '2026-11-23T09:00:00.000Z',
      endsAt: '2026-12-04T17:00:00.000Z',
    });
    const loose = await post('/api/sprints', { name: 'No project' });
    expect(loose.json()).toMatchObject({ projectId: null, capacityUsd: null, startsAt: null });

    const mine = (await get('/api/sprints')).json().items.map((row: { id: string }) => row.id);
    expect(mine).toEqual([loose.json().id, sprint.id]);
    expect((await get(`/api/sprints?projectId=${projectId}`)).json().items).toHaveLength(1);
    expect((await get('/api/sprints', other.key)).json().items).toEqual([]);
    expect((await get(`/api/sprints/${sprint.id}`, other.key)).statusCode).toBe(404);
    expect((await get(`/api/sprints/${randomUUID()}`)).statusCode).toBe(404);
  });

  it('refuses bad input with 400 naming the field, and creates nothing', async () => {
    const before = await count('sprints');
    const cases: [object, string][] = [
      [{}, 'name'],
      [{ name: '  ' }, 'name'],
      [{ name: 'x', capacityUsd: -1 }, 'capacityUsd'],
      [{ name: 'x', capacityUsd: '5' }, 'capacityUsd'],
      [{ name: 'x', projectId: 'nope' }, 'projectId'],
      [{ name: 'x', startsAt: 'tomorrow' }, 'startsAt'],
      [{ name: 'x', startsAt: '2026-12-02T00:00:00Z', endsAt: '2026-12-01T00:00:00Z' }, 'endsAt'],
      [{ name: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [payload, field] of cases) {
      const response = await post('/api/sprints', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
      expect(response.json().error.message).toContain(field);
    }
    const foreign = await post('/api/sprints', { name: 'x', projectId: otherProjectId });
    expect(foreign.statusCode).toBe(404);
    expect(await count('sprints')).toBe(before);
  });

  it('orders tasks dependencies first, then by priority, with the budget planned and spent', async () => {
    const sprint = (await post('/api/sprints', { name: 'Ordered', capacityUsd: 3 })).json();
    const a = await newTask('A: the schema', { priority: 0, budgetUsd: 1.5 });
    const b = await newTask('B: the API', { priority: 10, budgetUsd: 2 });
    const c = await newTask('C: the model', { priority: 5 });
    const d = await newTask('D: the release', { priority: 100 });
    const outside = await newTask('E: not in the sprint', { budgetUsd: 50 });
    for (const id of [a, b, c, d]) {
      expect((await patch(id, { sprintId: sprint.id })).statusCode).toBe(200);
    }
    const planned = await patch(d, { dependsOn: [a] });
    expect(planned.statusCode).toBe(200);
    expect(planned.json()).toMatchObject({ id: d, sprintId: sprint.id, dependsOn: [a] });
    expect((await patch(b, { dependsOn: [c, outside] })).statusCode).toBe(200);

    await t.database.db.insert(tables.llmCalls).values(
      [
        [a, '0.25'],
        [b, '0.5'],
        [b, '0.125'],
        [outside, '9'],
      ].map(([taskId, costUsd]) => ({
        orgId,
        taskId,
        provider: 'scripted',
        model: 'scripted/one',
        costUsd,
        status: 'ok',
      })),
    );

    const view = await get(`/api/sprints/${sprint.id}`);
    expect(view.statusCode).toBe(200);
    const body = view.json();
    // D has the highest priority but waits for A; B waits for C; E is in no sprint.
    expect(body.tasks.map((task: { id: string }) => task.id)).toEqual([c, b, a, d]);
    expect(body.tasks[1]).toMatchObject({ id: b, spentUsd: 0.625, dependsOn: [c, outside] });
    expect(body.budget).toEqual({
      capacityUsd: 3,
      plannedUsd: 3.5,
      spentUsd: 0.875,
      isOverCapacity: true,
    });

    // Raising A's priority changes nothing for D, which must still come after it.
    await patch(a, { priority: 100 });
    const again = (await get(`/api/sprints/${sprint.id}`)).json();
    expect(again.tasks.map((task: { id: string }) => task.id)).toEqual([a, d, c, b]);
  });

  it('moves a task out of its sprint with sprintId null', async () => {
    const sprint = (await post('/api/sprints', { name: 'Short' })).json();
    const task = await newTask('in and out');
    await patch(task, { sprintId: sprint.id });
    expect((await get(`/api/sprints/${sprint.id}`)).json().tasks).toHaveLength(1);
    expect((await patch(task, { sprintId: null })).json().sprintId).toBeNull();
    expect((await get(`/api/sprints/${sprint.id}`)).json()).toMatchObject({
      tasks: [],
      budget: { plannedUsd: 0, spentUsd: 0, isOverCapacity: false },
    });
  });
});

describe('PATCH /api/tasks/:id', () => {
  it('changes the priority of the task and of its steps not yet claimed', async () => {
    const task = await newTask('urgent now');
    const response = await patch(task, { priority: 42 });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ priority: 42, progress: { done: 0, total: 0 } });
    const [plan] = await t.database.db
      .select({ priority: tables.steps.priority })
      .from(tables.steps)
      .where(and(eq(tables.steps.taskId, task), eq(tables.steps.key, 'plan.0')));
    expect(plan!.priority).toBe(42);
  });

  it('refuses a dependency that closes a cycle, naming it, and changes nothing', async () => {
    const x = await newTask('X');
    const y = await newTask('Y');
    const z = await newTask('Z');
    expect((await patch(y, { dependsOn: [x] })).statusCode).toBe(200);
    expect((await patch(z, { dependsOn: [y] })).statusCode).toBe(200);

    const cycle = await patch(x, { dependsOn: [z] });
    expect(cycle.statusCode).toBe(409);
    expect(cycle.json().error).toMatchObject({
      code: 'DEPENDENCY_CYCLE',
      details: { cycle: [x, z, y, x] },
    });
    expect(cycle.json().error.message).toContain(`${x} → ${z} → ${y} → ${x}`);
    const self = await patch(y, { dependsOn: [y] });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.details.cycle).toEqual([y, y]);
    expect((await get(`/api/tasks/${x}`)).json().dependsOn).toEqual([]);
    expect((await get(`/api/tasks/${y}`)).json().dependsOn).toEqual([x]);
  });

  it('reports a cycle already in the data when showing a sprint', async () => {
    const sprint = (await post('/api/sprints', { name: 'Tangled' })).json();
    const p = await newTask('P');
    const q = await newTask('Q');
    await patch(p, { sprintId: sprint.id });
    await patch(q, { sprintId: sprint.id, dependsOn: [p] });
    // Written past the API's check, as an old row or a manual edit might be.
    await t.database.db
      .update(tables.tasks)
      .set({ dependsOn: [q] })
      .where(eq(tables.tasks.id, p));
    const response = await get(`/api/sprints/${sprint.id}`);
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('DEPENDENCY_CYCLE');
    expect([
      [p, q, p],
      [q, p, q],
    ]).toContainEqual(response.json().error.details.cycle);
  });

  it('answers 404 across organizations and 400 for bad input, changing nothing', async () => {
    const task = await newTask('guarded', { priority: 3 });
    const theirTask = (
      await post('/api/tasks', { projectId: otherProjectId, description: 'theirs' }, other.key)
    ).json().id;
    const theirSprint = (await post('/api/sprints', { name: 'Theirs' }, other.key)).json().id;

    expect((await patch(task, { priority: 1 }, other.key)).statusCode).toBe(404);
    const foreignDependency = await patch(task, { dependsOn: [theirTask] });
    expect(foreignDependency.statusCode).toBe(404);
    expect(foreignDependency.json().error.message).toContain(theirTask);
    expect((await patch(task, { sprintId: theirSprint })).statusCode).toBe(404);
    expect((await patch(randomUUID(), { priority: 1 })).statusCode).toBe(404);

    for (const [payload, field] of [
      [{}, 'sprintId'],
      [{ priority: 1000 }, 'priority'],
      [{ priority: 1.5 }, 'priority'],
      [{ dependsOn: ['nope'] }, 'dependsOn'],
      [{ title: 'renamed' }, 'title'],
    ] as const) {
      const response = await patch(task, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.message).toContain(field);
    }
    expect((await get(`/api/tasks/${task}`)).json()).toMatchObject({
      priority: 3,
      sprintId: null,
      dependsOn: [],
    });
  });
});
