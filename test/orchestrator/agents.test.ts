// Agent instances' lifecycle as the conductor and the worker record it: a worker's agents of
// each role, working → idle/waiting/error, stopped with their worker, and a stuck one (no
// heartbeat) turned to error while the sweeper re-queues its step.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables, type Database } from '../../src/db/index.js';
import {
  agentFinished,
  agentHeartbeat,
  agentStarted,
  agentsStopped,
  claimSteps,
  enqueueSteps,
  listAgents,
  markStuckAgents,
  sweepExpiredLeases,
} from '../../src/orchestrator/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';

let database: Database;
let owner: { orgId: string; projectId: string };
let other: { orgId: string; projectId: string };
beforeAll(async () => {
  database = await createTestDatabase();
  owner = await createOrgAndProject(database.db, 'agents');
  other = await createOrgAndProject(database.db, 'agents-other');
});
afterAll(() => database.close());

const agentOf = async (id: string) =>
  (await database.db.select().from(tables.agents).where(eq(tables.agents.id, id)))[0]!;

/** Moves an agent's last heartbeat `ms` into the past, as if it had been silent that long. */
const silence = (id: string, ms: number) =>
  database.db
    .update(tables.agents)
    .set({ heartbeatAt: sql`now() - make_interval(secs => ${ms / 1000})` })
    .where(eq(tables.agents.id, id));

describe('agent lifecycle', () => {
  it('keeps one row per organization, role and worker slot, working on the latest step', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 2);
    const start = (
      role: string,
      workerId: string,
      slot: number,
      stepId: string,
      orgId = owner.orgId,
    ) => agentStarted(database.db, { orgId, role, workerId, slot, stepId });
    const first = await start('developer', 'w1', 0, stepIds[0]!);
    expect(await agentOf(first)).toMatchObject({
      orgId: owner.orgId,
      role: 'developer',
      workerId: 'w1',
      name: 'developer@w1#1',
      status: 'working',
      currentStepId: stepIds[0],
    });
    await agentFinished(database.db, first, 'idle');
    expect(await agentOf(first)).toMatchObject({ status: 'idle', currentStepId: null });

    const again = await start('developer', 'w1', 0, stepIds[1]!);
    expect(again).toBe(first);
    expect(await agentOf(again)).toMatchObject({ status: 'working', currentStepId: stepIds[1] });

    // Another slot, worker, role or organization is another agent.
    const secondSlot = await start('developer', 'w1', 1, stepIds[0]!);
    const elsewhere = await start('developer', 'w2', 0, stepIds[1]!);
    const reviewer = await start('reviewer', 'w1', 0, stepIds[1]!);
    const { stepIds: otherSteps } = await createTaskWithSteps(database.db, other, 1);
    const foreign = await start('developer', 'w1', 0, otherSteps[0]!, other.orgId);
    expect(new Set([first, secondSlot, elsewhere, reviewer, foreign]).size).toBe(5);
    expect((await agentOf(secondSlot)).name).toBe('developer@w1#2');

    const listed = await listAgents(database.db, owner.orgId);
    expect(listed.map((agent) => agent.name).sort()).toEqual([
      'developer@w1#1',
      'developer@w1#2',
      'developer@w2#1',
      'reviewer@w1#1',
    ]);
    expect(listed.find((agent) => agent.id === first)!.step).toMatchObject({
      key: 's2',
      goal: 'step 2',
    });
  });

  it('records waiting and error, and a heartbeat moves heartbeat_at forward', async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1, 'tester');
    const id = await agentStarted(database.db, {
      orgId: owner.orgId,
      role: 'tester',
      workerId: 'w-beat',
      slot: 0,
      stepId: stepIds[0]!,
    });
    await silence(id, 60_000);
    const before = (await agentOf(id)).heartbeatAt!;
    await agentHeartbeat(database.db, id);
    expect((await agentOf(id)).heartbeatAt!.getTime()).toBeGreaterThan(before.getTime());

    await agentFinished(database.db, id, 'waiting');
    // A waiting agent keeps its step: the question it asked belongs to it.
    expect(await agentOf(id)).toMatchObject({ status: 'waiting', currentStepId: stepIds[0] });
    await agentFinished(database.db, id, 'error');
    expect((await agentOf(id)).status).toBe('error');
  });

  it("stops all of a worker's agents and no one else's", async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    const start = (role: string, workerId: string) =>
      agentStarted(database.db, {
        orgId: owner.orgId,
        role,
        workerId,
        slot: 0,
        stepId: stepIds[0]!,
      });
    const one = await start('architect', 'w-stop');
    const two = await start('devops', 'w-stop');
    const kept = await start('devops', 'w-keep');

    expect(await agentsStopped(database.db, 'w-stop')).toBe(2);
    expect(await agentOf(one)).toMatchObject({ status: 'stopped', currentStepId: null });
    expect((await agentOf(two)).status).toBe('stopped');
    expect(await agentOf(kept)).toMatchObject({ status: 'working', currentStepId: stepIds[0] });
  });

  it('turns a silent working agent to error and the sweeper re-queues its step', async () => {
    const stuck = await createOrgAndProject(database.db, 'agents-stuck');
    const { stepIds } = await createTaskWithSteps(database.db, stuck, 2);
    await enqueueSteps(database.db, stepIds);
    const claimed = await claimSteps(database.db, {
      workerId: 'w-dies',
      limit: 2,
      leaseMs: 60_000,
    });
    expect(claimed).toHaveLength(2);
    const [silent, alive] = await Promise.all(
      claimed.map((step, index) =>
        agentStarted(database.db, {
          orgId: stuck.orgId,
          role: index === 0 ? 'developer' : 'tester',
          workerId: 'w-dies',
          slot: 0,
          stepId: step.stepId,
        }),
      ),
    );
    await silence(silent!, 30_000);
    const silentStep = (await agentOf(silent!)).currentStepId!;

    // An idle agent, however old its heartbeat, is not stuck.
    const idle = await agentStarted(database.db, {
      orgId: stuck.orgId,
      role: 'reviewer',
      workerId: 'w-dies',
      slot: 0,
      stepId: silentStep,
    });
    await agentFinished(database.db, idle, 'idle');
    await silence(idle, 30_000);

    expect(await markStuckAgents(database.db, 10_000)).toEqual([silentStep]);
    expect((await agentOf(silent!)).status).toBe('error');
    expect((await agentOf(alive!)).status).toBe('working');
    expect((await agentOf(idle)).status).toBe('idle');
    expect(await markStuckAgents(database.db, 10_000)).toEqual([]);

    // The dead worker's lease runs out; the sweeper puts the step back in the queue.
    await database.db
      .update(tables.steps)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(tables.steps.id, silentStep));
    expect(await sweepExpiredLeases(database.db)).toHaveLength(1);
    const [step] = await database.db
      .select()
      .from(tables.steps)
      .where(eq(tables.steps.id, silentStep));
    expect(step).toMatchObject({ status: 'queued', workerId: null });
  });
});
