// A chaos run: N tasks on a project with a real test, worked by real worker processes on a
// private Postgres and RabbitMQ, while a driver SIGKILLs workers and restarts both servers.
// It reports what happened; chaos-checks.ts judges the result. Used by the chaos suite and
// by `npm run bench:chaos`. It must never leave a process or a folder behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { and, eq, gt, sql } from 'drizzle-orm';
import {
  connectDatabase,
  migrate,
  startEmbeddedPostgres,
  tables,
  type Database,
  type EmbeddedPostgres,
} from '../../src/db/index.js';
import { Config } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createProjectLock,
  createRunRecorder,
  createTask,
  createTaskBranchStore,
} from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';
import { runGitRaw } from '../../src/workspace/git.js';
import { createFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startRabbitMq, type RabbitMq } from '../helpers/rabbitmq.js';
import { createOrgAndProject } from '../helpers/tasks.js';
import { chaosReply, projectTest, taskDescription } from './chaos-model.js';

export interface ChaosOptions {
  tasks: number;
  workers: number;
  seed: number;
  /** A kill every `everyMs` (± a quarter, seeded) until `untilMs` after the start, at most `max`. */
  kills: { everyMs: number; untilMs: number; max: number };
  /** Postgres is stopped and started again once this many tasks have ended; null: never. */
  postgresRestartAfter: number | null;
  /** The same for RabbitMQ; null: never, and the workers then use no broker. */
  rabbitRestartAfter: number | null;
  leaseMs: number;
  /** How long every task may take to end, from the start. */
  deadlineMs: number;
  /** Tasks whose first work step writes a broken file. */
  isBrokenFirst: (n: number) => boolean;
  log?: (line: string) => void;
}

export interface KillRecord {
  at: number;
  worker: number;
  /**
   * The steps the worker held when it died, and when each one's task next made progress on
   * it (an event of the step, or of the task as a whole), in ms after the kill.
   */
  steps: Array<{ taskId: string; key: string; resumedAfterMs: number | null }>;
}

export interface ServerRestart {
  at: number;
  /** From the server being up again to the next event of any task. */
  progressAfterMs: number | null;
}

export interface ChaosResult {
  database: Database;
  /** The project's bare repository. */
  gitDir: string;
  baseBranch: string;
  taskIds: string[];
  kills: KillRecord[];
  postgresRestart: ServerRestart | null;
  rabbitRestart: ServerRestart | null;
  /** Processes that ended without being killed by the driver, with their last output. */
  unexpectedExits: Array<{ worker: number; how: string; output: string }>;
  modelAnswered: number;
  elapsedMs: number;
  close(): Promise<void>;
}

/** A seeded random number generator (mulberry32): the same seed gives the same run plan. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

interface WorkerProcess {
  index: number;
  child: ChildProcess;
  output: string;
  isKilled: boolean;
}

const pgSettings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
const finished = ['done', 'failed', 'cancelled'];

/** Runs the chaos; call close() on the result when done with it. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const root = await mkdtemp(join(tmpdir(), 'cadre-chaos-'));
  const dataDir = join(root, 'data');
  await mkdir(dataDir);
  let postgres: EmbeddedPostgres | null = null;
  let rabbit: RabbitMq | null = null;
  let server: FakeModelServer | null = null;
  let database: Database | null = null;
  const workers: WorkerProcess[] = [];
  const unexpectedExits: ChaosResult['unexpectedExits'] = [];

  const close = async () => {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.isKilled = true;
        worker.child.kill('SIGKILL');
      }
    }
    await server?.close();
    await database?.close();
    await postgres?.stop();
    await rabbit?.stop();
    await rm(root, { recursive: true, force: true });
  };

  try {
    postgres = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), settings: pgSettings });
    database = connectDatabase({ url: postgres.url, poolSize: 4 });
    await migrate(database.pool);
    if (options.rabbitRestartAfter !== null) rabbit = await startRabbitMq();
    server = await createFakeModelServer();
    // A worker about to be killed gets no more answers: the kill then never falls between an
    // answer and its ledger row, so the ledger must match the server's count exactly.
    const held = new Set<string>();
    const model = server;
    model.setResponder((request) => {
      const key = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      if (held.has(key)) return { kind: 'stall', reply: {}, afterPieces: 0 };
      return chaosReply(request, options.isBrokenFirst);
    });

    const owner = await seedProject(database, dataDir, root);
    const db = database.db;
    const startWorker = async (index: number): Promise<WorkerProcess> => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/support/scripted-worker.ts'],
        {
          env: {
            ...process.env,
            DATABASE_URL: postgres!.url,
            DATA_DIR: dataDir,
            MODEL_URL: model.url,
            MODEL_KEY: `worker-${index}`,
            LEASE_MS: String(options.leaseMs),
            ...(rabbit && { RABBITMQ_URL: rabbit.url }),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const worker: WorkerProcess = { index, child, output: '', isKilled: false };
      const append = (chunk: Buffer) => (worker.output = (worker.output + chunk).slice(-4000));
      child.stdout!.on('data', append);
      child.stderr!.on('data', append);
      child.once('exit', (code, signal) => {
        if (!worker.isKilled)
          unexpectedExits.push({
            worker: index,
            how: signal ?? `code ${code}`,
            output: worker.output,
          });
      });
      workers[index] = worker;
      await until(
        `worker ${index} to be ready`,
        () => worker.output.includes('ready'),
        60_000,
        () => (child.exitCode !== null ? `it exited: ${worker.output}` : null),
      );
      return worker;
    };
    for (let index = 0; index < options.workers; index++) await startWorker(index);

    const taskIds: string[] = [];
    for (let n = 1; n <= options.tasks; n++) {
      const task = await createTask(db, {
        orgId: owner.orgId,
        input: { projectId: owner.projectId, description: taskDescription(n) },
      });
      taskIds.push(task.id);
    }
    const start = Date.now();
    log(`chaos: ${options.tasks} tasks, ${options.workers} workers, seed ${options.seed}`);

    const openTasks = async () => {
      const rows = await db
        .select({ status: tables.tasks.status })
        .from(tables.tasks)
        .catch(() => null);
      return rows ? rows.filter((row) => !finished.includes(row.status)).length : Infinity;
    };
    const lastEventAt = async () => {
      const result = await db
        .execute<{ at: string | null }>(sql`SELECT max(created_at)::text AS at FROM events`)
        .catch(() => null);
      const at = result?.rows[0]?.at;
      return at ? new Date(at).getTime() : 0;
    };
    /** Waits (bounded) for an event newer than `since`: the work goes on. */
    const progressAfter = async (since: number) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if ((await lastEventAt()) > since) return Date.now() - since;
        if ((await openTasks()) === 0) return null;
        await delay(50);
      }
      return null;
    };

    const kills: KillRecord[] = [];
    const runningOn = (worker: WorkerProcess) =>
      db
        .select({
          taskId: tables.steps.taskId,
          key: tables.steps.key,
          leaseExpiries: tables.steps.leaseExpiries,
          maxLeaseExpiries: tables.steps.maxLeaseExpiries,
        })
        .from(tables.steps)
        .where(
          and(
            eq(tables.steps.status, 'running'),
            sql`${tables.steps.workerId} LIKE ${`%:${worker.child.pid}:%`}`,
          ),
        );
    // Kills stay below each step's bound of expired leases (with one to spare for the Postgres
    // restart): a step that reaches it fails by design (STEP_WORKERS_DIED), which is not
    // what this run is after.
    const isSafeToKill = (steps: Awaited<ReturnType<typeof runningOn>>) =>
      steps.every((step) => step.leaseExpiries + 2 < step.maxLeaseExpiries);
    const killOne = async () => {
      const candidates: WorkerProcess[] = [];
      for (const worker of workers)
        if (isSafeToKill(await runningOn(worker))) candidates.push(worker);
      if (candidates.length === 0) return null;
      const worker = candidates[Math.floor(random() * candidates.length)]!;
      const { index } = worker;
      held.add(`worker-${index}`);
      // Long enough for an answer sent just before the hold to reach its ledger row.
      await delay(400);
      const running = await runningOn(worker);
      if (!isSafeToKill(running)) {
        held.delete(`worker-${index}`);
        return null;
      }
      const at = Date.now();
      worker.isKilled = true;
      worker.child.kill('SIGKILL');
      await new Promise((resolve) =>
        worker.child.exitCode !== null || worker.child.signalCode !== null
          ? resolve(null)
          : worker.child.once('exit', resolve),
      );
      held.delete(`worker-${index}`);
      const record: KillRecord = {
        at: at - start,
        worker: index,
        steps: running.map(({ taskId, key }) => ({ taskId, key, resumedAfterMs: null })),
      };
      kills.push(record);
      log(
        `chaos: killed worker ${index} at ${record.at} ms holding ${running.map((step) => step.key).join(', ') || 'nothing'}`,
      );
      await startWorker(index);
      return { record, killedAt: at };
    };
    /** When each killed step's task shows progress on that step again. */
    const watchResume = async ({ record, killedAt }: { record: KillRecord; killedAt: number }) => {
      await Promise.all(
        record.steps.map(async (step) => {
          const deadline = killedAt + 120_000;
          while (Date.now() < deadline) {
            const [event] = await db
              .select({ createdAt: tables.events.createdAt })
              .from(tables.events)
              .where(
                and(
                  eq(tables.events.taskId, step.taskId),
                  gt(tables.events.createdAt, new Date(killedAt)),
                  // The step's own events, or the task's (merged, done…): it moved on.
                  sql`(${tables.events.data}->>'key' = ${step.key} OR NOT ${tables.events.data} ? 'key')`,
                ),
              )
              .orderBy(tables.events.createdAt)
              .limit(1)
              .catch(() => []);
            if (event) {
              step.resumedAfterMs = event.createdAt.getTime() - killedAt;
              return;
            }
            const [task] = await db
              .select({ status: tables.tasks.status })
              .from(tables.tasks)
              .where(eq(tables.tasks.id, step.taskId))
              .catch(() => []);
            if (task && finished.includes(task.status)) return;
            await delay(100);
          }
        }),
      );
    };

    const restart = async (what: 'postgres' | 'rabbitmq'): Promise<ServerRestart> => {
      const at = Date.now() - start;
      if (what === 'postgres') {
        const port = postgres!.port;
        await postgres!.stop();
        postgres = await startEmbeddedPostgres({
          dataDir: join(root, 'pg'),
          port,
          settings: pgSettings,
        });
      } else {
        await rabbit!.stopServer();
        await rabbit!.startServer();
      }
      const back = Date.now();
      const progressAfterMs = await progressAfter(back);
      log(`chaos: restarted ${what} at ${at} ms; progress ${progressAfterMs} ms after it was back`);
      return { at, progressAfterMs };
    };

    // One driver, one action at a time: each restart once enough tasks are done (so that it
    // falls in the middle of the work whatever the machine's speed), kills at seeded times.
    let postgresRestart: ServerRestart | null = null;
    let rabbitRestart: ServerRestart | null = null;
    const resumes: Array<Promise<void>> = [];
    let nextKillAt = options.kills.everyMs;
    while (Date.now() - start < options.deadlineMs) {
      const open = await openTasks();
      if (open === 0) break;
      const done = options.tasks - open;
      const elapsed = Date.now() - start;
      const { postgresRestartAfter, rabbitRestartAfter } = options;
      if (!postgresRestart && postgresRestartAfter !== null && done >= postgresRestartAfter) {
        postgresRestart = await restart('postgres');
        // Ledger rows of answers that came during the outage are written in a batch later.
        nextKillAt = Math.max(nextKillAt, Date.now() - start + 3_000);
      } else if (!rabbitRestart && rabbitRestartAfter !== null && done >= rabbitRestartAfter) {
        rabbitRestart = await restart('rabbitmq');
      } else if (
        kills.length < options.kills.max &&
        elapsed >= nextKillAt &&
        elapsed <= options.kills.untilMs
      ) {
        const killed = await killOne();
        if (killed) resumes.push(watchResume(killed));
        nextKillAt += options.kills.everyMs * (0.75 + random() * 0.5);
      }
      await delay(100);
    }
    await until(
      'every task to end',
      async () => (await openTasks()) === 0,
      start + options.deadlineMs - Date.now(),
    );
    await Promise.all(resumes);
    const elapsedMs = Date.now() - start;
    // Rows a worker wrote in a batch after its answer are in by now; give a last batch its time.
    await delay(500);
    return {
      database,
      gitDir: join(dataDir, 'workspaces', owner.projectId, 'repo.git'),
      baseBranch: 'main',
      taskIds,
      kills,
      postgresRestart,
      rabbitRestart,
      unexpectedExits,
      modelAnswered: model.answered,
      elapsedMs,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Polls `check` until it holds; fails after `timeoutMs`, or at once when `isHopeless` says why. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  isHopeless: () => string | null = () => null,
) {
  const deadline = Date.now() + Math.max(timeoutMs, 0);
  for (;;) {
    if (await check()) return;
    const hopeless = isHopeless();
    if (hopeless) throw new Error(`Gave up waiting for ${what}: ${hopeless}`);
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

/** An organization and a project whose repository holds the project test and no source. */
async function seedProject(database: Database, dataDir: string, root: string) {
  const owner = await createOrgAndProject(database.db, 'chaos');
  const source = join(root, 'seed');
  await mkdir(source);
  await writeFile(
    join(source, 'package.json'),
    JSON.stringify({ name: 'chaos', scripts: { test: 'node test.js' } }),
  );
  await writeFile(join(source, 'test.js'), projectTest);
  const git = (...args: string[]) => runGitRaw(['-C', source, ...args], {});
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('commit', '-q', '-m', 'Start');
  const logger = createLogger({ level: 'silent' });
  const workspaces = createWorkspaces({
    dataDir,
    imports: { roots: [root] },
    sandbox: createSandbox(Config.parse({ dataDir }).sandbox),
    recordRun: createRunRecorder(database.db, logger),
    taskBranches: createTaskBranchStore(database.db),
    projectLock: createProjectLock(database.pool),
  });
  await workspaces.createRepository(owner.projectId, { type: 'path', path: source });
  return owner;
}
