// GET /api/summary: the dashboard's numbers over rows seeded at known hours, counted for the
// caller's organization only, with every hour of the window present.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Db } from '../../src/db/index.js';
import { createProject } from '../../src/orchestrator/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

const hourMs = 3_600_000;
let t: TestApp;
let mine: { orgId: string; key: string };
let theirs: { orgId: string; key: string };
/** The start of the hour two hours before this one, where most rows are seeded. */
let busyHour: Date;
let spentToday: number;
const at = (base: Date, minutes: number, seconds = 0) =>
  new Date(base.getTime() + minutes * 60_000 + seconds * 1000);

/** Tasks in every state, their steps, agents and model calls of one organization. */
async function seed(db: Db, orgId: string, scale: number) {
  const project = await createProject(db, orgId, { name: 'metrics' });
  const task = (status: string, finishedAt: Date | null = null) => ({
    orgId,
    projectId: project.id,
    title: status,
    description: status,
    status,
    finishedAt,
  });
  const [done] = await db
    .insert(tables.tasks)
    .values([
      task('done', at(busyHour, 40)),
      task('failed', at(busyHour, 45)),
      task('queued'),
      task('running'),
      task('running'),
      task('waiting'),
    ])
    .returning();
  const step = (key: string, status: string, claimedAt: Date | null, runSeconds = 0) => ({
    orgId,
    taskId: done!.id,
    key,
    role: 'developer',
    goal: key,
    status,
    claimedAt,
    updatedAt: claimedAt ? at(claimedAt, 0, runSeconds) : new Date(),
  });
  await db
    .insert(tables.steps)
    .values([
      step('fast', 'done', at(busyHour, 10), 2 * scale),
      step('slow', 'done', at(busyHour, 20), 4 * scale),
      step('gave-up', 'dead', at(busyHour, 30), 6 * scale),
      step('stopped', 'cancelled', at(busyHour, 35), 1),
      step('running', 'running', at(busyHour, 50)),
      step('ready', 'queued', null),
      step('backing-off', 'queued', null),
      step('blocked', 'pending', null),
    ]);
  const agent = (name: string, status: string) => ({ orgId, role: 'developer', name, status });
  await db
    .insert(tables.agents)
    .values([agent('a', 'working'), agent('b', 'working'), agent('c', 'idle')]);
  const call = (createdAt: Date, costUsd: number, inputTokens: number, outputTokens: number) => ({
    orgId,
    provider: 'scripted',
    model: 'm',
    status: 'ok',
    createdAt,
    costUsd: (costUsd * scale).toFixed(8),
    inputTokens: inputTokens * scale,
    outputTokens: outputTokens * scale,
  });
  const calls = [
    call(at(busyHour, 5), 0.25, 100, 20),
    call(at(busyHour, 50), 0.5, 200, 40),
    call(new Date(), 1, 10, 5),
    call(new Date(Date.now() - 26 * hourMs), 2, 1, 1),
  ];
  await db.insert(tables.llmCalls).values(calls);
  const midnight = new Date(new Date().setUTCHours(0, 0, 0, 0));
  return calls
    .filter((row) => row.createdAt >= midnight)
    .reduce((sum, row) => sum + Number(row.costUsd), 0);
}

beforeAll(async () => {
  t = await createTestApp();
  mine = await createOrganization(t.database, 'Metrics', 'viewer');
  theirs = await createOrganization(t.database, 'Noisy');
  busyHour = new Date(Math.floor(Date.now() / hourMs) * hourMs - 2 * hourMs);
  spentToday = await seed(t.database.db, mine.orgId, 1);
  // Another organization, busier in every way: none of it may show.
  await seed(t.database.db, theirs.orgId, 7);
});
afterAll(() => t.close());

const summary = (query = '', key = mine.key) =>
  t.app.inject({ url: `/api/summary${query}`, headers: bearer(key) });

describe('GET /api/summary', () => {
  it("counts the organization's tasks, queue, agents and today's spend", async () => {
    const response = await summary();
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      hours: 24,
      runningTasks: 4,
      tasksByStatus: {
        queued: 1,
        planning: 0,
        running: 2,
        waiting: 1,
        done: 1,
        failed: 1,
        cancelled: 0,
      },
      queueDepth: 2,
      agentsByStatus: { idle: 1, working: 2, waiting: 0, error: 0, stopped: 0 },
    });
    expect(body.spendTodayUsd).toBeCloseTo(spentToday, 8);
    expect(Math.abs(Date.parse(body.generatedAt) - Date.now())).toBeLessThan(60_000);
  });

  it('charts every hour of the window, with throughput, step run times and model use', async () => {
    const { series } = (await summary()).json();
    expect(series).toHaveLength(24);
    const hours = series.map((entry: { hour: string }) => Date.parse(entry.hour));
    expect(hours.slice(1).map((hour: number, index: number) => hour - hours[index])).toEqual(
      Array(23).fill(hourMs),
    );
    expect(hours[23]).toBe(Math.floor(Date.now() / hourMs) * hourMs);

    const busy = series.find((entry: { hour: string }) => entry.hour === busyHour.toISOString());
    expect(busy).toEqual({
      hour: busyHour.toISOString(),
      tasksFinished: 2,
      tasksFailed: 1,
      // done and dead steps; the cancelled one and the running one do not count.
      stepsFinished: 3,
      stepP50Ms: 4000,
      stepP95Ms: 5800,
      costUsd: 0.75,
      inputTokens: 300,
      outputTokens: 60,
    });
    const current = series[23];
    expect(current).toMatchObject({ tasksFinished: 0, costUsd: 1, inputTokens: 10 });
    const quiet = series.filter((entry: { hour: string }) => entry !== busy && entry !== current);
    for (const entry of quiet) {
      expect(entry).toEqual({
        hour: entry.hour,
        tasksFinished: 0,
        tasksFailed: 0,
        stepsFinished: 0,
        stepP50Ms: null,
        stepP95Ms: null,
        costUsd: 0,
        inputTokens: 0,
        outputTokens: 0,
      });
    }
  });

  it('takes the window from hours, up to a week', async () => {
    const week = (await summary('?hours=168')).json();
    expect(week.hours).toBe(168);
    expect(week.series).toHaveLength(168);
    const twoDays = (await summary('?hours=48')).json().series;
    const costs = twoDays.map((entry: { costUsd: number }) => entry.costUsd);
    expect(costs.reduce((sum: number, cost: number) => sum + cost, 0)).toBeCloseTo(3.75, 8);
    expect((await summary('?hours=1')).json().series).toHaveLength(1);
  });

  it.each(['?hours=0', '?hours=169', '?hours=abc', '?hours=1.5', '?days=2'])(
    'answers 400 VALIDATION_FAILED for %s',
    async (query) => {
      const response = await summary(query);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_FAILED');
    },
  );

  it('shows the other organization only its own numbers', async () => {
    const body = (await summary('', theirs.key)).json();
    expect(body).toMatchObject({ runningTasks: 4, queueDepth: 2 });
    const busy = body.series.find(
      (entry: { hour: string }) => entry.hour === busyHour.toISOString(),
    );
    expect(busy).toMatchObject({ stepP50Ms: 28_000, costUsd: 5.25, inputTokens: 2100 });
  });
});
