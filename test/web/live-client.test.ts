// The web app's live client against the real server: it reconnects after the connection is
// cut, subscribes again and resumes with no gap and no repeat, and sends what was queued while
// it was down. The backoff is checked on its own.
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { createProject, createTask } from '../../src/orchestrator/index.js';
import {
  backoffDelay,
  LiveClient,
  type LiveMessage,
  type LiveStatus,
  type SocketLike,
} from '../../web/src/live.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { emitEvent } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

const bus = createInProcessBus();
let t: TestApp;
let url: string;
let orgId: string;
beforeAll(async () => {
  t = await createTestApp({}, { bus });
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = `${address.replace(/^http/, 'ws')}/api/live`;
  const me = await t.app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers: bearer(t.adminKey),
  });
  orgId = (me.json() as { orgId: string }).orgId;
});
afterAll(async () => {
  await t.close();
  await bus.close();
});

/** A client whose sockets the test can cut from the client's side. */
function connect({ initialDelayMs = 20 } = {}) {
  const sockets: SocketLike[] = [];
  const statuses: LiveStatus[] = [];
  const client = new LiveClient({
    url,
    token: () => t.adminKey,
    WebSocket: class extends (WebSocket as unknown as new (
      url: string,
      protocols: string[],
    ) => SocketLike) {
      constructor(address: string, protocols: string[]) {
        super(address, protocols);
        sockets.push(this);
      }
    },
    initialDelayMs,
    maxDelayMs: 100,
    onStatus: (status) => statuses.push(status),
  });
  return { client, sockets, statuses };
}

async function emit(taskId: string, type: string) {
  await emitEvent(t.database.db, bus, { orgId, taskId, type });
}

describe('the live client', () => {
  it('resumes a task after the connection is cut, with no gap and no repeat', async () => {
    const project = await createProject(t.database.db, orgId, { name: 'client' });
    const task = await createTask(t.database.db, {
      orgId,
      input: { projectId: project.id, description: 'resume' },
    }); // events 1 and 2
    const { client, sockets, statuses } = connect();
    const seqs: number[] = [];
    client.subscribe({ scope: 'task', taskId: task.id }, (message: LiveMessage) => {
      if (message.type === 'event') seqs.push(message.seq);
    });
    await waitFor('the log so far', () => seqs.length === 2);
    await emit(task.id, 'step-started');
    await waitFor('the live event', () => seqs.length === 3);

    sockets[0]!.close(); // the connection drops
    await waitFor('the client to notice', () => statuses.includes('reconnecting'));
    await emit(task.id, 'step-done'); // while it is down
    await emit(task.id, 'task-done');
    await waitFor('the reconnection', () => sockets.length === 2 && client.status === 'open');
    await waitFor('the missed events', () => seqs.length === 5);
    await emit(task.id, 'task-archived');
    await waitFor('the next live event', () => seqs.length === 6);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(statuses).toEqual(['open', 'reconnecting', 'open']);
    client.close();
  });

  it('sends what was queued while it was down once it is back', async () => {
    const call = async (path: string, payload: object) => {
      const response = await t.app.inject({
        method: 'POST',
        url: path,
        headers: bearer(t.adminKey),
        payload,
      });
      expect(response.statusCode, response.body).toBeLessThan(300);
      return response.json() as { id: string };
    };
    const project = await call('/api/projects', { name: 'queued' });
    const task = await call('/api/tasks', { projectId: project.id, description: 'shell' });
    await call(`/api/projects/${project.id}/workspace`, {});
    await call(`/api/projects/${project.id}/tasks/${task.id}/worktree`, {});
    const terminal = await call(`/api/projects/${project.id}/tasks/${task.id}/terminals`, {
      cols: 80,
      rows: 24,
    });

    // Slow to come back, so that the input is surely sent while the connection is down.
    const { client, sockets, statuses } = connect({ initialDelayMs: 1000 });
    let output = '';
    const shell = client.subscribe(
      { scope: 'terminal', projectId: project.id, taskId: task.id, terminalId: terminal.id },
      (message) => {
        if (message.type === 'terminal-output') output += message.data;
      },
    );
    await waitFor('the connection', () => client.status === 'open');
    sockets[0]!.close();
    await waitFor('the client to notice', () => statuses.includes('reconnecting'));
    expect(client.status).toBe('reconnecting');
    shell.send({ type: 'terminal-input', data: 'echo "queued-$((6*7))"\r' });
    await waitFor('the queued input to run', () => /queued-42/.test(output), 10_000);
    // The scrollback sent again after the reconnection is not shown twice.
    expect(output.match(/echo "queued/g)).toHaveLength(1);
    shell.unsubscribe();
    client.close();
  });
});

describe('the reconnection backoff', () => {
  it('doubles up to its ceiling, with half of each delay random', () => {
    const low = (attempt: number) => backoffDelay(attempt, 500, 15_000, () => 0);
    const high = (attempt: number) => backoffDelay(attempt, 500, 15_000, () => 1);
    expect([0, 1, 2, 3].map(low)).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map(high)).toEqual([500, 1000, 2000, 4000]);
    expect(low(10)).toBe(7500);
    expect(high(10)).toBe(15_000);
  });
});
