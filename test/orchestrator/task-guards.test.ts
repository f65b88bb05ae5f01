// What stops or corrects a task: a cyclic plan sent back to the planner, a budget that runs
// out before a model call is sent, and a cancellation while an agent's command runs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import {
  cancelChannel,
  cancelTask,
  createTask,
  decideApproval,
  listApprovals,
} from '../../src/orchestrator/index.js';
import { call, createOrchestra, finish, type Orchestra } from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';

describe('task guards', () => {
  let orchestra: Orchestra;
  beforeAll(async () => {
    orchestra = await createOrchestra({
      scripts: {
        planner: [
          finish('Cyclic.', {
            steps: [
              { key: 'a', role: 'developer', goal: 'a', dependsOn: ['b'] },
              { key: 'b', role: 'developer', goal: 'b', dependsOn: ['a'] },
            ],
          }),
          finish('Fixed.', {
            steps: [{ key: 'a', role: 'developer', goal: 'Wait for the build' }],
          }),
        ],
        // The developer starts a long command; the task is cancelled while it runs.
        developer: [
          { toolCalls: [call('run_command', { argv: ['sleep', '60'], timeoutSeconds: 120 })] },
        ],
      },
    });
  }, 60_000);
  afterAll(() => orchestra?.close());

  it('corrects a cyclic plan, and cancels the task while its agent runs a command', async () => {
    const { database, models } = orchestra;
    const owner = await orchestra.seedProject('guards');
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Build it' },
    });
    const events = () =>
      database.db
        .select()
        .from(tables.events)
        .where(eq(tables.events.taskId, task.id))
        .orderBy(asc(tables.events.seq));

    await waitFor(
      'the developer to start its command',
      async () =>
        (await events()).some(
          (event) =>
            event.type === 'tool-call-start' &&
            (event.data as { tool?: string }).tool === 'run_command',
        ),
      30_000,
    );
    const types = (await events()).map((event) => event.type);
    expect(types).toContain('plan-rejected');
    expect(models.planner!.calls).toHaveLength(2);
    expect(JSON.stringify(models.planner!.calls[1]!.prompt)).toMatch(
      /cycle: (a → b → a|b → a → b)/,
    );

    const started = Date.now();
    await cancelTask(database.db, owner.orgId, task.id);
    await orchestra.bus.broadcast(cancelChannel, { taskId: task.id });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'cancelled' });
    const step = await waitFor('the running step to end', async () => {
      const [row] = await database.db
        .select()
        .from(tables.steps)
        .where(eq(tables.steps.key, 'step.a'));
      return row?.status === 'cancelled' ? row : null;
    });
    expect(step.attempts).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000); // not the 60 s of the command
    expect(models.developer!.remaining).toBe(0);
    expect(models.developer!.calls).toHaveLength(1);
  }, 90_000);
});

describe('budgets', () => {
  let orchestra: Orchestra;
  beforeAll(async () => {
    // Expensive models: the first call's estimate alone is over the task's budget.
    orchestra = await createOrchestra({
      scripts: { planner: [finish('never sent', { steps: [] })] },
      modelInfo: { prices: { input: 1000, output: 1000, cachedInput: 0 } },
    });
  }, 60_000);
  afterAll(() => orchestra?.close());

  it('stop a task cleanly when the next call would exceed its budget, sending nothing', async () => {
    const { database, models } = orchestra;
    const owner = await orchestra.seedProject('budget');
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Too expensive', budgetUsd: 0.01 },
    });
    const final = await orchestra.finished(task.id);
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/budget/i);
    expect(models.planner!.calls).toHaveLength(0);
    const [step] = await database.db
      .select()
      .from(tables.steps)
      .where(eq(tables.steps.taskId, task.id));
    expect(step).toMatchObject({ key: 'plan.0', status: 'dead', attempts: 1 });
    await orchestra.gateway.flush(); // ledger rows are written off the calls' path
    const ledger = await database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, task.id));
    expect(ledger.map((row) => row.status)).toEqual(['refused']);
  }, 60_000);
});

describe('a command with network access', () => {
  let orchestra: Orchestra;
  beforeAll(async () => {
    orchestra = await createOrchestra({
      scripts: {
        planner: [
          finish('One step.', {
            steps: [{ key: 'fetch', role: 'developer', goal: 'Fetch the dependencies' }],
          }),
        ],
        developer: [
          { toolCalls: [call('run_command', { argv: ['sh', '-c', 'echo ran >> network.log'] })] },
          finish('Fetched.'),
        ],
        reviewer: [finish('Fine.', { approved: true, feedback: '' })],
        tester: [finish('Fine.', { passed: true, report: 'ok' })],
      },
    });
  }, 60_000);
  afterAll(() => orchestra?.close());

  it('waits for a human to approve it, then runs it once', async () => {
    const { database } = orchestra;
    const owner = await orchestra.seedProject('network');
    await database.db
      .update(tables.projects)
      .set({ hasNetwork: true })
      .where(eq(tables.projects.id, owner.projectId));
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Fetch' },
    });

    // The step is parked, and the task waits, once the approval is asked.
    await waitFor(
      'the task to wait for a human',
      async () => {
        const [row] = await database.db
          .select()
          .from(tables.tasks)
          .where(eq(tables.tasks.id, task.id));
        return row!.status === 'waiting';
      },
      30_000,
    );
    const [approval] = await listApprovals(database.db, owner.orgId, {
      taskId: task.id,
      status: 'pending',
    });
    expect(approval).toMatchObject({
      kind: 'network',
      question: 'Run with network access: sh -c echo ran >> network.log',
    });
    expect(orchestra.models.developer!.calls).toHaveLength(1);

    await decideApproval(database.db, () => undefined, owner.orgId, approval!.id, {
      isApproved: true,
      decidedBy: 'ops',
    });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });
    const log = await readFile(
      join(orchestra.dataDir, 'workspaces', owner.projectId, 'tasks', task.id, 'network.log'),
      'utf8',
    );
    expect(log).toBe('ran\n');
  }, 90_000);
});
