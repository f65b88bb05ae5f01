// `cadre task show` and the end of `cadre task watch` say where a task's result went, against
// a real server on a port.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/api-client.js';
import { taskShow } from '../../src/cli/commands/resources.js';
import { watchTask } from '../../src/cli/commands/watch.js';
import { tables } from '../../src/db/index.js';
import { appendEvent, recordDelivery, type Delivery } from '../../src/orchestrator/index.js';
import { createTaskThroughApi, createTestApp, bearer, type TestApp } from '../helpers/app.js';

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => t?.close());

/** What a CLI command wrote to stdout. */
async function stdoutOf(run: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => chunks.push(chunk) > 0) as typeof write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

async function deliveredTask(delivery: Delivery) {
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: `shown-${Math.random().toString(36).slice(2, 8)}` },
  });
  const projectId: string = project.json().id;
  const taskId = await createTaskThroughApi(t, projectId, 'Add a README');
  const [task] = await t.database.db.select().from(tables.tasks).where(eq(tables.tasks.id, taskId));
  await recordDelivery(t.database.db, task!, delivery);
  return { projectId, taskId, orgId: task!.orgId };
}

describe('cadre task show', () => {
  it('prints the clone URL, branch and commit of a task merged into Cadre’s repository', async () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const { projectId, taskId } = await deliveredTask({ mode: 'local', branch: 'main', commit });
    const client = createApiClient(t.config, { url, key: t.adminKey });
    const shown = await stdoutOf(() => taskShow(client, taskId, {}));
    const cloneUrl = `${url}/git/default/${projectId}.git`;
    expect(shown).toContain(`Result: ${cloneUrl} (branch main at 0123456789ab)`);
    expect(shown).toContain(`git clone --branch main ${cloneUrl}`);
  });

  it('prints the pull request of a task delivered as one', async () => {
    const { taskId } = await deliveredTask({
      mode: 'pull-request',
      url: 'https://git.example.com/acme/shop/pull/7',
      number: 7,
      branch: 'cadre/task-1',
      commit: 'f'.repeat(40),
      state: 'open',
    });
    const client = createApiClient(t.config, { url, key: t.adminKey });
    const shown = await stdoutOf(() => taskShow(client, taskId, {}));
    expect(shown).toContain(
      'Result: pull request #7 (open): https://git.example.com/acme/shop/pull/7',
    );
  });

  it('ends a watch of a delivered task with its pull request', async () => {
    const { taskId, orgId } = await deliveredTask({
      mode: 'pull-request',
      url: 'https://git.example.com/acme/shop/pull/8',
      number: 8,
      branch: 'cadre/task-2',
      commit: 'e'.repeat(40),
      state: 'open',
    });
    const { db } = t.database;
    await db.update(tables.tasks).set({ status: 'done' }).where(eq(tables.tasks.id, taskId));
    await db.transaction((tx) => appendEvent(tx, { orgId, taskId, type: 'task-done', data: {} }));
    const client = createApiClient(t.config, { url, key: t.adminKey });
    const lines: string[] = [];
    await watchTask(client, taskId, { write: (line) => lines.push(line), sleep: async () => {} });
    expect(lines.at(-1)!.split('\n').at(-1)).toBe(
      '  result pull request #8 (open): https://git.example.com/acme/shop/pull/8 (branch cadre/task-2 at eeeeeeeeeeee)',
    );
  });
});
