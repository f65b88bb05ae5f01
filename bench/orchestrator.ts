// npm run bench:orchestrator — no-op steps through enqueue → claim → complete on the
// Postgres work queue, with 1 and with 4 worker processes: steps per second, and
// enqueue-to-start latency measured by Postgres's own clock.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  connectDatabase,
  migrate,
  startEmbeddedPostgres,
  tables,
  type Database,
} from '../src/db/index.js';
import { createProject, enqueueSteps } from '../src/orchestrator/index.js';
import { machine, median, percentile, writeSection } from './support/report.js';

const burstSize = 5000;
const pacedRate = 200; // steps a second, well under capacity: latency, not queueing
const pacedSeconds = 5;
const runs = 3;

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-bench-'));
  const server = await startEmbeddedPostgres({ dataDir, settings: { max_connections: '200' } });
  const database = connectDatabase({ url: server.url, poolSize: 8 });
  await migrate(database.pool);
  const rows: string[][] = [];
  try {
    for (const workerCount of [1, 4]) {
      const throughput: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      for (let run = 0; run < runs; run++) {
        const workers = await startWorkers(server.url, workerCount);
        try {
          throughput.push(await burst(database));
          const latencies = await paced(database);
          p50.push(percentile(latencies, 50));
          p99.push(percentile(latencies, 99));
        } finally {
          await stopWorkers(workers);
        }
      }
      rows.push([
        String(workerCount),
        median(throughput).toFixed(0),
        median(p50).toFixed(1),
        median(p99).toFixed(1),
      ]);
      console.log(`${workerCount} worker process(es): ${rows.at(-1)!.slice(1).join(' | ')}`);
    }
  } finally {
    await database.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  await writeSection(
    'Orchestrator (npm run bench:orchestrator)',
    [
      `No-op steps (a step handler that finishes at once, without an agent or a worktree, so that the figure is the queue's own cost) through enqueue → claim (FOR UPDATE SKIP LOCKED, lease, fencing token) → complete, on the embedded Postgres (durable settings). Throughput: a burst of ${burstSize} steps, from the enqueue commit to the last completion. Latency: ${pacedRate} steps/s for ${pacedSeconds} s, enqueue commit to claim, by Postgres's clock. Each worker process runs 16 steps at once. Medians of ${runs} runs.`,
      '',
      '| Worker processes | Steps/s | Enqueue-to-start p50 (ms) | p99 (ms) |',
      '| --- | --- | --- | --- |',
      ...rows.map((row) => `| ${row.join(' | ')} |`),
      '',
      'Target: ≥ 500 steps/s and p50 ≤ 10 ms. Each step also records its agent (one upsert at the start, one update at the end), as in production. A real step runs an agent, whose model calls take seconds, in a git worktree of its own (tens of milliseconds to create and merge).',
    ].join('\n'),
  );
}

async function makeSteps(database: Database, count: number): Promise<string[]> {
  const [org] = await database.db
    .insert(tables.organizations)
    .values({ name: 'bench', slug: `bench-${Date.now()}-${Math.random()}` })
    .returning();
  const project = await createProject(database.db, org!.id, { name: 'bench' });
  const [task] = await database.db
    .insert(tables.tasks)
    .values({ orgId: org!.id, projectId: project.id, title: 'bench', description: 'bench' })
    .returning();
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, (_, index) => ({
      orgId: org!.id,
      taskId: task!.id,
      key: `s${start + index}`,
      role: 'noop',
      goal: 'nothing',
    }));
    const inserted = await database.db
      .insert(tables.steps)
      .values(batch)
      .returning({ id: tables.steps.id });
    ids.push(...inserted.map((row) => row.id));
  }
  return ids;
}

async function waitUntilDone(database: Database, ids: string[]) {
  for (;;) {
    const result = await database.db.execute<{ left: string }>(
      sql`SELECT count(*) AS left FROM steps WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]) AND status <> 'done'`,
    );
    if (Number(result.rows[0]!.left) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function burst(database: Database): Promise<number> {
  const ids = await makeSteps(database, burstSize);
  const started = performance.now();
  await database.db.transaction((tx) => enqueueSteps(tx, ids));
  await waitUntilDone(database, ids);
  return burstSize / ((performance.now() - started) / 1000);
}

async function paced(database: Database): Promise<number[]> {
  const ids = await makeSteps(database, pacedRate * pacedSeconds);
  const interval = 1000 / pacedRate;
  const started = performance.now();
  for (const [index, id] of ids.entries()) {
    const due = started + index * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await database.db.transaction((tx) => enqueueSteps(tx, [id]));
  }
  await waitUntilDone(database, ids);
  const result = await database.db.execute<{ ms: number }>(
    sql`SELECT extract(epoch FROM claimed_at - enqueued_at) * 1000 AS ms FROM steps WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[])`,
  );
  return result.rows.map((row) => Number(row.ms));
}

async function startWorkers(url: string, count: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, () =>
    fork(new URL('./support/noop-worker.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DATABASE_URL: url },
    }),
  );
  await Promise.all(
    workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))),
  );
  return workers;
}

async function stopWorkers(workers: ChildProcess[]) {
  await Promise.all(
    workers.map((worker) => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.send('stop');
      return exited;
    }),
  );
}

console.log(await machine());
await main();
