// GET /api/agents/:id: an agent with the steps it ran, as a real worker records them, its
// health from its heartbeat, and another organization's agent hidden behind 404.
import { eq, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  agentStarted,
  claimSteps,
  completeStep,
  createProject,
  createWorker,
  enqueueSteps,
} from '../../src/orchestrator/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { createTaskWithSteps } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

let t: TestApp;
let owner: { orgId: string; projectId: string };
let other: { orgId: string; key: string };
beforeAll(async () => {
  t = await createTestApp();
  const me = await t.app.inject({ url: '/api/auth/me', headers: bearer(t.adminKey) });
  const orgId = me.json().orgId as string;
  owner = { orgId, projectId: (await createProject(t.database.db, orgId, { name: 'team' })).id };
  other = await createOrganization(t.database, 'Rivals');
});
afterAll(() => t.close());

const get = (url: string, key = t.adminKey) => t.app.inject({ url, headers: bearer(key) });
const setAgent = (id: string, status: string, heartbeatAt: SQL | null) =>
  t.database.db.update(tables.agents).set({ status, heartbeatAt }).where(eq(tables.agents.id, id));

/** Claims and runs every step of a task in order on one slot of `workerId`; returns its agent. */
async function runSteps(
  owner: { orgId: string; projectId: string },
  count: number,
  workerId: string,
) {
  const { taskId, stepIds } = await createTaskWithSteps(t.database.db, owner, count);
  let agentId = '';
  for (const stepId of stepIds) {
    await t.database.db.transaction((tx) => enqueueSteps(tx, [stepId]));
    const [claimed] = await claimSteps(t.database.db, { workerId, limit: 1, leaseMs: 60_000 });
    agentId = await agentStarted(t.database.db, {
      orgId: owner.orgId,
      role: 'developer',
      workerId,
      slot: 0,
      stepId: claimed!.stepId,
    });
    await completeStep(t.database.db, claimed!, { ok: true });
  }
  return { taskId, stepIds, agentId };
}

describe('GET /api/agents/:id', () => {
  it('shows the agent and the steps it ran, newest first, with their run time', async () => {
    const { taskId, stepIds, agentId } = await runSteps(owner, 2, 'w1');
    const [first, second] = stepIds as [string, string];
    // Known run times: the first step took 1.5 s, the second is still running.
    const at = (iso: string) => sql`${iso}::timestamptz`;
    await t.database.db
      .update(tables.steps)
      .set({ claimedAt: at('2026-03-01T10:00:00Z'), updatedAt: at('2026-03-01T10:00:01.5Z') })
      .where(eq(tables.steps.id, first));
    await t.database.db
      .update(tables.steps)
      .set({ status: 'running', claimedAt: at('2026-03-01T11:00:00Z') })
      .where(eq(tables.steps.id, second));

    const response = await get(`/api/agents/${agentId}`);
    expect(response.statusCode).toBe(200);
    const detail = response.json();
    expect(detail).toMatchObject({
      id: agentId,
      role: 'developer',
      name: 'developer@w1#1',
      status: 'working',
      isHealthy: true,
      workerId: 'w1',
    });
    expect(detail.recentSteps).toEqual([
      {
        stepId: second,
        key: 's2',
        kind: 'work',
        role: 'developer',
        status: 'running',
        taskId,
        taskTitle: 'queue test',
        startedAt: '2026-03-01T11:00:00.000Z',
        finishedAt: null,
        durationMs: null,
      },
      {
        stepId: first,
        key: 's1',
        kind: 'work',
        role: 'developer',
        status: 'done',
        taskId,
        taskTitle: 'queue test',
        startedAt: '2026-03-01T10:00:00.000Z',
        finishedAt: '2026-03-01T10:00:01.500Z',
        durationMs: 1500,
      },
    ]);
    // The detail is the list's agent plus its steps.
    const listed = (await get('/api/agents'))
      .json()
      .items.find((agent: { id: string }) => agent.id === agentId);
    const { recentSteps: _steps, ...agent } = detail;
    expect(agent).toEqual(listed);
  });

  it('lists only the last 20 steps', async () => {
    const { stepIds, agentId } = await runSteps(owner, 22, 'w22');
    const { recentSteps } = (await get(`/api/agents/${agentId}`)).json();
    expect(recentSteps).toHaveLength(20);
    expect(recentSteps[0].stepId).toBe(stepIds[21]);
    expect(recentSteps.map((step: { key: string }) => step.key)).not.toContain('s1');
  });

  it('is unhealthy while working without a heartbeat for longer than three beats', async () => {
    const { agentId } = await runSteps(owner, 1, 'silent');
    const health = async () => (await get(`/api/agents/${agentId}`)).json().isHealthy;
    await setAgent(agentId, 'working', sql`now() - interval '20 seconds'`);
    expect(await health()).toBe(false);
    const listed = (await get('/api/agents')).json().items;
    expect(listed.find((agent: { id: string }) => agent.id === agentId).isHealthy).toBe(false);
    await setAgent(agentId, 'working', sql`now() - interval '2 seconds'`);
    expect(await health()).toBe(true);
    await setAgent(agentId, 'working', null);
    expect(await health()).toBe(false);
    // An idle agent owes no heartbeat.
    await setAgent(agentId, 'idle', sql`now() - interval '1 day'`);
    expect(await health()).toBe(true);
  });

  it("answers 404 for another organization's agent or an unknown one, 400 for a bad id", async () => {
    const project = await createProject(t.database.db, other.orgId, { name: 'theirs' });
    const { agentId } = await runSteps({ orgId: other.orgId, projectId: project.id }, 1, 'w1');
    expect((await get(`/api/agents/${agentId}`, other.key)).statusCode).toBe(200);

    const hidden = await get(`/api/agents/${agentId}`);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.code).toBe('NOT_FOUND');
    const unknown = await get('/api/agents/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    const bad = await get('/api/agents/nope');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('records on each step the agent a real worker ran it with', async () => {
    const worker = createWorker({
      database: t.database,
      logger: createLogger({ level: 'silent' }),
      handler: async () => ({ result: 'done' }),
      workerId: 'recorder',
      concurrency: 1,
    });
    await worker.start();
    try {
      const { stepIds } = await createTaskWithSteps(t.database.db, owner, 3);
      await t.database.db.transaction((tx) => enqueueSteps(tx, stepIds));
      const steps = await waitFor('the steps to be done', async () => {
        const rows = await t.database.db
          .select()
          .from(tables.steps)
          .where(sql`${tables.steps.id} = ANY(${`{${stepIds.join(',')}}`}::uuid[])`);
        return rows.every((row) => row.status === 'done') ? rows : null;
      });
      const [agent] = await t.database.db
        .select()
        .from(tables.agents)
        .where(eq(tables.agents.workerId, 'recorder'));
      expect(steps.map((step) => step.agentId)).toEqual([agent!.id, agent!.id, agent!.id]);
      const { recentSteps } = (await get(`/api/agents/${agent!.id}`)).json();
      expect(recentSteps.map((step: { stepId: string }) => step.stepId).sort()).toEqual(
        [...stepIds].sort(),
      );
    } finally {
      await worker.stop();
    }
  });
});
