// A Postgres restart under a running `cadre up` and `cadre worker`, both real processes on
// DATABASE_URL: a private embedded server of this test is stopped (fast shutdown, as
// `pg_ctl restart -m fast`) and started again on the same port. Neither process exits,
// /readyz goes 503 then 200, and a task created after the restart is claimed promptly.
import { sql } from 'drizzle-orm';
import type { ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectDatabase,
  startEmbeddedPostgres,
  type Database,
  type EmbeddedPostgres,
} from '../../src/db/index.js';
import { waitFor } from '../helpers/wait.js';
import {
  assertBuilt,
  cliEnv,
  killStarted,
  makeTempDir,
  removeTempDirs,
  spawnCli,
  startCadre,
  stopCadre,
  type Started,
} from './cli-process.js';

const settings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
let postgresDir: string;
let postgres: EmbeddedPostgres;
let observer: Database;
let dataDir: string;
let api: Started;
let worker: ChildProcess;
let workerOutput = '';
let workerExit: number | null | undefined;
let adminKey: string;
let projectId: string;

beforeAll(async () => {
  assertBuilt();
  postgresDir = await makeTempDir('cadre-e2e-pg-restart-');
  postgres = await startEmbeddedPostgres({ dataDir: postgresDir, settings });
  observer = connectDatabase({ url: postgres.url, poolSize: 2 });
  // A data directory that does not exist yet: `cadre up` must make it.
  dataDir = join(await makeTempDir('cadre-e2e-fresh-'), 'not', 'yet', 'there');
  const env = cliEnv({
    DATABASE_URL: postgres.url,
    CADRE_DATA_DIR: dataDir,
    CADRE_PORT: '0',
    CADRE_WORKERS: '0',
    CADRE_LOG_LEVEL: 'info',
  });
  api = await startCadre(env);
  worker = spawnCli(['worker'], { env });
  worker.stdout!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  worker.on('exit', (code) => (workerExit = code));
  await waitFor('the worker to start', () => workerOutput.includes('Cadre worker:'), 60_000);
}, 120_000);

afterAll(async () => {
  if (worker && workerExit === undefined) worker.kill('SIGKILL');
  killStarted();
  await observer?.close();
  await postgres?.stop();
  await removeTempDirs();
});

async function api201(path: string, body: unknown): Promise<{ id: string }> {
  const response = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string };
}

/** When the first step of `taskId` was claimed by a worker, in ms since the epoch; else null. */
async function claimedAt(taskId: string): Promise<number | null> {
  const result = await observer.db
    .execute<{ at: string | null }>(
      sql`SELECT (extract(epoch FROM min(claimed_at)) * 1000)::text AS at FROM steps WHERE task_id = ${taskId}`,
    )
    .catch(() => ({ rows: [{ at: null }] }));
  const at = result.rows[0]?.at;
  return at ? Number(at) : null;
}

interface DependencyStates {
  [name: string]: { status: string; kind?: string };
}
interface ReadyBody {
  dependencies?: DependencyStates;
  error?: { code: string; details: { dependencies: DependencyStates } };
}

const readyz = async () => {
  const response = await fetch(`${api.url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
};

/** Keeps the API busy (each request holds a pooled connection) until `stop` is called. */
function keepBusy() {
  let isRunning = true;
  const statuses: number[] = [];
  const loops = Array.from({ length: 4 }, async () => {
    while (isRunning) {
      const response = await fetch(`${api.url}/api/projects`, {
        headers: { authorization: `Bearer ${adminKey}` },
      }).catch(() => null);
      statuses.push(response?.status ?? 0);
      await response?.arrayBuffer();
    }
  });
  return {
    statuses,
    stop: async () => {
      isRunning = false;
      await Promise.all(loops);
    },
  };
}

describe('cadre up with DATABASE_URL on a new data directory', () => {
  it('starts, makes the data directory and writes the admin key into it', async () => {
    expect(api.output()).toContain('Database  external Postgres (DATABASE_URL)');
    const keyFile = join(dataDir, 'admin-api-key');
    adminKey = (await readFile(keyFile, 'utf8')).trim();
    expect(adminKey).toMatch(/^cadre_/);
    expect(((await stat(keyFile)).mode & 0o777).toString(8)).toBe('600');
    expect(((await stat(dataDir)).mode & 0o777).toString(8)).toBe('700');
    expect((await readyz()).status).toBe(200);
  });
});

describe('a Postgres restart', () => {
  it('leaves both processes running, /readyz 503 then 200, and new tasks claimed promptly', async () => {
    projectId = (await api201('/api/projects', { name: 'restart' })).id;
    const first = await api201('/api/tasks', { projectId, description: 'before the restart' });
    await waitFor('the first task to be claimed', () => claimedAt(first.id), 30_000);
    const ready = await readyz();
    expect(ready.body.dependencies).toMatchObject({
      database: { status: 'up' },
      bus: { status: 'up', kind: 'postgres' },
    });

    const recoveries: number[] = [];
    for (let round = 1; round <= 5; round++) {
      const restoredBefore = count(workerOutput, 'work notifications restored');
      // Under load: requests hold connections from the API's pool when the server ends them.
      const load = keepBusy();
      await waitFor('some requests to be served', () => load.statuses.includes(200));
      await postgres.stop();
      await waitFor('/readyz to answer 503', async () => (await readyz()).status === 503, 20_000);
      const down = await readyz();
      expect(down.body.error?.code).toBe('DATABASE_UNAVAILABLE');
      expect(down.body.error?.details.dependencies.database?.status).toBe('down');

      postgres = await startEmbeddedPostgres({
        dataDir: postgresDir,
        port: postgres.port,
        settings,
      });
      const back = Date.now();
      const task = await api201('/api/tasks', { projectId, description: `after restart ${round}` });
      const claimed = await waitFor('the new task to be claimed', () => claimedAt(task.id), 20_000);
      recoveries.push(Math.round(claimed - back));
      await load.stop();
      expect(load.statuses.at(-1)).toBe(200);
      // While the server was away requests said so (503), never "internal error" (500).
      expect(load.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
      expect(load.statuses).toContain(503);
      await waitFor('/readyz to answer 200', async () => (await readyz()).status === 200, 20_000);
      await waitFor(
        'the worker to re-subscribe its work channel',
        () => count(workerOutput, 'work notifications restored') > restoredBefore,
        20_000,
      );
      expect(workerExit, workerOutput).toBeUndefined();
      expect(api.child.exitCode, api.output()).toBeNull();
    }
    const median = [...recoveries].sort((a, b) => a - b)[Math.floor(recoveries.length / 2)];
    process.stdout.write(
      `recovery after a Postgres restart (ms until a new task was claimed): ${recoveries.join(', ')}; median ${median}\n`,
    );
    for (const ms of recoveries) expect(ms).toBeLessThan(10_000);
    expect(api.output()).toContain('database connection lost');
    expect(api.output()).toContain('database connection restored');
  }, 240_000);

  it('stops both processes cleanly afterwards', async () => {
    worker.kill('SIGTERM');
    await waitFor('the worker to exit', () => workerExit !== undefined, 30_000);
    expect(workerExit, workerOutput).toBe(0);
    expect(await stopCadre(api)).toBe(0);
  });
});

function count(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}
