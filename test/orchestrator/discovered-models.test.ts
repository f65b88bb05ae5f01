// Tasks on a server given by OPENAI_BASE_URL alone: they run on the models it lists, at no cost,
// and when the server fails them the task's error is the server's own (its 404 message, the URL
// it refused connections on), not a routing message.
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { createTask } from '../../src/orchestrator/index.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { createOrchestra, type Orchestra } from '../helpers/orchestra.js';
import { closedPort } from '../helpers/ports.js';

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
/** Fast failures: one attempt a call, the breaker's wait off. */
const quick = {
  retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  breaker: { failureThreshold: 2, cooldownMs: 600_000, maxWaitMs: 0 },
};
/** A model named in the configuration, fit for every role. */
const named = (id: string) => ({
  id,
  endpoint: 'openai',
  capabilities: { tools: true, structuredOutput: true },
});

let orchestra: Orchestra | undefined;
const servers: FakeModelServer[] = [];
afterEach(async () => {
  await orchestra?.close();
  orchestra = undefined;
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function fakeServer() {
  const server = await createFakeModelServer();
  servers.push(server);
  return server;
}

async function runTask(settings: Record<string, unknown>) {
  orchestra = await createOrchestra({ scripts: {}, settings });
  const owner = await orchestra.seedProject('served');
  const task = await createTask(orchestra.database.db, {
    orgId: owner.orgId,
    input: { projectId: owner.projectId, description: 'Write notes' },
  });
  return { task, finished: await orchestra.finished(task.id, 90_000) };
}

describe('a task with OPENAI_BASE_URL alone', () => {
  it('runs on a model the server lists, and costs nothing', async () => {
    const server = await fakeServer();
    server.setModels([{ id: 'qwen2.5-coder:7b', max_model_len: 32_768 }]);
    server.enqueue({
      kind: 'reply',
      reply: { ...finishCall('plan', plan), usage: { input: 900, output: 40 } },
    });
    server.setFallback(passEverything);
    const { task, finished } = await runTask({
      providers: { openai: { baseUrl: `${server.url}/v1` } },
    });
    expect(finished).toMatchObject({ status: 'done', error: null });
    const chats = server.requests.filter((entry) => entry.path === '/v1/chat/completions');
    expect(chats.length).toBeGreaterThanOrEqual(4);
    expect(new Set(chats.map((entry) => entry.body.model))).toEqual(new Set(['qwen2.5-coder:7b']));
    const rows = await orchestra!.database.db
      .select()
      .from(tables.llmCalls)
      .where(eq(tables.llmCalls.taskId, task.id));
    expect(rows.length).toBe(chats.length);
    expect(rows.every((row) => row.model === 'openai/qwen2.5-coder:7b')).toBe(true);
    expect(rows.every((row) => Number(row.costUsd) === 0)).toBe(true);
  }, 120_000);

  it("fails with the server's own 404 message for a model it does not serve", async () => {
    const server = await fakeServer();
    server.setModels([{ id: 'served' }]);
    const { finished } = await runTask({
      providers: { openai: { baseUrl: `${server.url}/v1` } },
      // An explicit list wins over the server's, typo included.
      models: { ...quick, catalog: [named('openai/qwen-typo')] },
    });
    expect(finished.status).toBe('failed');
    expect(finished.error).toContain('HTTP_404');
    expect(finished.error).toContain('The model `qwen-typo` does not exist');
    expect(finished.error).not.toMatch(/No configured model satisfies/);
  }, 120_000);

  it('fails naming the URL of a server that refuses connections, through an open breaker too', async () => {
    const port = await closedPort();
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const { finished } = await runTask({
      providers: { openai: { baseUrl } },
      models: { ...quick, catalog: [named('openai/coder')] },
    });
    expect(finished.status).toBe('failed');
    // Its last attempt met the open breaker: the refusal still names the real cause.
    expect(finished.error).toContain('circuit breaker');
    expect(finished.error).toContain('ECONNREFUSED');
    expect(finished.error).toContain(baseUrl);
  }, 120_000);

  it('fails naming the URL when the server never listed its models', async () => {
    const port = await closedPort();
    const { finished } = await runTask({
      providers: { openai: { baseUrl: `http://127.0.0.1:${port}/v1` } },
      models: quick,
    });
    expect(finished.status).toBe('failed');
    expect(finished.error).toContain(`GET http://127.0.0.1:${port}/v1/models failed`);
    expect(finished.error).toContain('ECONNREFUSED');
  }, 120_000);
});
