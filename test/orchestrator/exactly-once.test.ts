// Exactly-once accounting: every answered model call is one llm_calls row, even when the worker
// process is SIGKILLed right after the provider answered; and a step whose finish was
// checkpointed, resumed because its commit never happened, asks the model nothing more.
import { spawn, type ChildProcess } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { createTask } from '../../src/orchestrator/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { createOrchestra, type Orchestra } from '../helpers/orchestra.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function startWorker(orchestra: Orchestra, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/scripted-worker.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: orchestra.databaseUrl,
      DATA_DIR: orchestra.dataDir,
      LEASE_MS: '1500',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then((how) => reject(new Error(`worker exited (${how}) before it was ready`)));
  });
  return { ready, exited };
}

const finishCall = (id: string, input: unknown) => ({
  toolCalls: [{ id, name: 'finish', arguments: JSON.stringify(input) }],
});
const plan = {
  summary: 'One step.',
  result: { steps: [{ key: 'notes', role: 'developer', goal: 'Write notes' }] },
};
/** Every role but the planner finishes at once, with a verdict that passes both gates. */
const passEverything = {
  kind: 'reply' as const,
  reply: finishCall('done', {
    summary: 'Done.',
    result: { approved: true, feedback: '', passed: true, report: 'ok' },
  }),
};

describe('a worker killed right after the provider answered', () => {
  let orchestra: Orchestra;
  let server: FakeModelServer;
  beforeAll(async () => {
    orchestra = await createOrchestra({ scripts: {}, runsWorker: false });
    server = await createFakeModelServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await orchestra?.close();
  });

  it('leaves exactly one ledger row per call the model server answered', async () => {
    const owner = await orchestra.seedProject('ledger');
    // The planner answers twice: once to the worker that dies, once to the one that resumes.
    server.enqueue(
      { kind: 'reply', reply: finishCall('plan-1', plan) },
      { kind: 'reply', reply: finishCall('plan-2', plan) },
    );
    server.setFallback(passEverything);
    const doomed = startWorker(orchestra, { MODEL_URL: server.url, DIE_AFTER_ANSWERS: '1' });
    await doomed.ready;
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Write notes' },
    });
    expect(await doomed.exited).toBe('SIGKILL');
    expect(server.requests).toHaveLength(1);

    const survivor = startWorker(orchestra, { MODEL_URL: server.url });
    await survivor.ready;
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });

    const rows = await orchestra.database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, task.id));
    // plan (killed), plan, developer, reviewer, tester: each answered once, each paid once.
    expect(server.requests).toHaveLength(5);
    expect(rows).toHaveLength(server.requests.length);
    expect(rows.every((row) => row.status === 'ok' && row.inputTokens > 0)).toBe(true);
    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
  }, 120_000);
});

describe('a step resumed after its finish was checkpointed', () => {
  let orchestra: Orchestra;
  let server: FakeModelServer;
  beforeAll(async () => {
    orchestra = await createOrchestra({ scripts: {}, runsWorker: false });
    server = await createFakeModelServer();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await orchestra?.close();
  });

  it('asks the model nothing more, and the task ends done', async () => {
    const owner = await orchestra.seedProject('resume');
    server.enqueue({ kind: 'reply', reply: finishCall('plan', plan) });
    server.setFallback(passEverything);
    // Killed once the planner's finish is checkpointed, before its step commits.
    const doomed = startWorker(orchestra, {
      MODEL_URL: server.url,
      DIE_BEFORE_WORKTREE_REMOVAL: '1',
    });
    await doomed.ready;
    const task = await createTask(orchestra.database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Write notes' },
    });
    expect(await doomed.exited).toBe('SIGKILL');
    expect(server.requests).toHaveLength(1);
    const { db } = orchestra.database;
    const [planStep] = await db.select().from(tables.steps).where(eq(tables.steps.key, 'plan.0'));
    expect(planStep).toMatchObject({ status: 'running' });

    const survivor = startWorker(orchestra, { MODEL_URL: server.url });
    await survivor.ready;
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });
    const [resumed] = await db.select().from(tables.steps).where(eq(tables.steps.key, 'plan.0'));
    expect(resumed).toMatchObject({ status: 'done', attempts: 2, failures: 0, leaseExpiries: 1 });
    // The planner was asked once; then the developer, reviewer and tester once each.
    expect(server.requests).toHaveLength(4);
    const planCalls = await db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.stepId, resumed!.id));
    expect(planCalls).toHaveLength(1);
  }, 120_000);
});
