// npm run bench:ws — 1,000 WebSocket clients following 10 tasks on GET /api/live while events
// are appended and published at a fixed rate through the real path (a task_events row, then
// the Postgres bus): messages delivered per second, publish-to-receive latency, server memory.
// The server and the clients run in child processes; this process is the publisher.
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '../src/auth/index.js';
import { createPostgresBus, type Bus } from '../src/bus/index.js';
import {
  connectDatabase,
  migrate,
  startEmbeddedPostgres,
  tables,
  type Database,
} from '../src/db/index.js';
import {
  appendEvent,
  createProject,
  createTask,
  publishEvents,
} from '../src/orchestrator/index.js';
import type { ClientsCommand, ClientsReply, ClientsReport } from './support/live-clients.js';
import type { LiveServerReady } from './support/live-server.js';
import { machineCpuSeconds, residentMiB, treeCpuSeconds } from './support/process-usage.js';
import { machine, median } from './support/report.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? 3);
const clientCount = Number(process.env.BENCH_CLIENTS ?? 1000);
const taskCount = Number(process.env.BENCH_TASKS ?? 10);
const clientProcessCount = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
/** Events a second over all tasks; each reaches clientCount / taskCount clients. */
const rates = (process.env.BENCH_RATES ?? '100,150,200,250,500').split(',').map(Number);
const clientsPerTask = clientCount / taskCount;
// About the size of an agent's short turn: the message a client gets is ~400 bytes.
const text = 'The agent edited src/api/routes/live.ts and ran the tests again. '.repeat(4);

// The machine may be shared: each run waits (up to 10 min) until the other work on it uses
// less than BENCH_QUIET_PERCENT of one CPU over 3 s, and its table row says how much it used.
const quietPercent = Number(process.env.BENCH_QUIET_PERCENT ?? 15);
// BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of the server and of each clients process.
const profileDir = process.env.BENCH_CPU_PROFILE;
const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  rate: number;
  publishedPerSecond: number;
  deliveredPerSecond: number;
  expectedPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  appendP50: number;
  gaps: number;
  duplicates: number;
  incomplete: number;
  closed: string;
  idleRss: number;
  peakRss: number;
  serverCpu: number;
  clientsCpu: number;
  publisherCpu: number;
  postgresCpu: number;
  otherCpu: number;
}

interface Org {
  orgId: string;
  key: string;
}

interface Context {
  database: Database;
  bus: Bus;
  org: Org;
  databaseUrl: string;
}

/** Waits for a child's next message (or fails if it exits first). */
function nextMessage<T>(child: ChildProcess, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child exited with ${code}`));
    const timer = setTimeout(() => reject(new Error('no answer from a child')), timeoutMs);
    child.once('exit', onExit);
    child.once('message', (message) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

function forkSupport(file: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return fork(new URL(`./support/${file}`, import.meta.url), [], {
    execArgv: ['--import', 'tsx', ...profile],
    env,
  });
}

async function stopChild(child: ChildProcess, command: Serializable) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send(command);
  await exited;
}

async function createOrg(database: Database): Promise<Org> {
  const [org] = await database.db
    .insert(tables.organizations)
    .values({ name: 'bench', slug: `bench-${Date.now()}` })
    .returning();
  const key = generateApiKey();
  await database.db.insert(tables.apiKeys).values({
    orgId: org!.id,
    name: 'bench key',
    prefix: key.prefix,
    keyHash: key.hash,
    role: 'owner',
  });
  return { orgId: org!.id, key: key.token };
}

/** When publishing starts, and the measured part after the warm-up (epoch ms). */
interface Window {
  start: number;
  from: number;
  to: number;
}

interface Published {
  lastSeq: number;
  inWindow: number;
  appendMs: number[];
}

/** Appends and publishes one task's events on a fixed schedule, as a worker would. */
async function publishTask(
  database: Database,
  bus: Bus,
  event: Window & { orgId: string; taskId: string; perSecond: number },
): Promise<Published> {
  const published: Published = { lastSeq: 0, inWindow: 0, appendMs: [] };
  const interval = 1000 / event.perSecond;
  for (let index = 0; event.start + index * interval < event.to; index++) {
    const wait = event.start + index * interval - now();
    if (wait > 0) await sleep(wait); // behind schedule: publish at once, do not skip
    const sentAt = now();
    const row = { orgId: event.orgId, taskId: event.taskId, type: 'agent-turn' };
    const data = { sentAt, text };
    const seq = await database.db.transaction((tx) => appendEvent(tx, { ...row, data }));
    await publishEvents(bus, [{ ...row, data, seq }]);
    published.lastSeq = seq;
    if (sentAt >= event.from && sentAt < event.to) {
      published.inWindow++;
      published.appendMs.push(now() - sentAt);
    }
  }
  return published;
}

function mergedPercentile(reports: ClientsReport[], p: number): number {
  const counts = new Map<number, number>();
  for (const report of reports)
    for (const [bucket, count] of report.histogram)
      counts.set(bucket, (counts.get(bucket) ?? 0) + count);
  const buckets = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return (bucket + 1) / 10; // the bucket's upper edge, in ms
  }
  return Number.NaN;
}

/** CPU seconds used so far, by part; percentages of one CPU come from two of these. */
interface Usage {
  at: number;
  server: number;
  clients: number;
  publisher: number;
  /** Everything this benchmark started, Postgres included. */
  benchmark: number;
  /** The whole machine, other people's work included. */
  machine: number;
}

function usage(server: ChildProcess, clients: ChildProcess[]): Usage {
  const own = process.cpuUsage();
  return {
    at: now(),
    server: treeCpuSeconds(server.pid!),
    clients: clients.reduce((sum, child) => sum + treeCpuSeconds(child.pid!), 0),
    publisher: (own.user + own.system) / 1e6,
    benchmark: treeCpuSeconds(process.pid),
    machine: machineCpuSeconds().busy,
  };
}

/** Percent of one CPU each part used between two readings. */
function cpuPercent(before: Usage, after: Usage) {
  const percent = (pick: (usage: Usage) => number) =>
    ((pick(after) - pick(before)) / ((after.at - before.at) / 1000)) * 100;
  const [server, clients, publisher, benchmark, machine] = [
    percent((usage) => usage.server),
    percent((usage) => usage.clients),
    percent((usage) => usage.publisher),
    percent((usage) => usage.benchmark),
    percent((usage) => usage.machine),
  ];
  return {
    serverCpu: server,
    clientsCpu: clients,
    publisherCpu: publisher,
    postgresCpu: benchmark - server - clients - publisher,
    otherCpu: Math.max(0, machine - benchmark),
  };
}

async function createTasks({ database, org }: Context) {
  const project = await createProject(database.db, org.orgId, { name: `bench-${Date.now()}` });
  const tasks = [];
  for (let index = 0; index < taskCount; index++) {
    const input = { projectId: project.id, description: `live bench task ${index}` };
    tasks.push(await createTask(database.db, { orgId: org.orgId, input }));
  }
  return tasks;
}

const command = (child: ChildProcess, message: ClientsCommand) => child.send(message);

/** Sends a command to every clients process and waits for each one's answer. */
function ask<T extends ClientsReply>(clients: ChildProcess[], message: ClientsCommand) {
  return Promise.all(
    clients.map((child) => {
      const answer = nextMessage<T>(child);
      command(child, message);
      return answer;
    }),
  );
}

/** Reads the CPU counters when the measured window opens and when it closes. */
async function sampleUsage(server: ChildProcess, clients: ChildProcess[], window: Window) {
  await sleep(window.from - now());
  const before = usage(server, clients);
  await sleep(window.to - now());
  return cpuPercent(before, usage(server, clients));
}

async function waitForQuietMachine() {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const before = machineCpuSeconds().busy;
    await sleep(3000);
    const percent = ((machineCpuSeconds().busy - before) / 3) * 100;
    if (percent < quietPercent || Date.now() > deadline) return;
    console.error(`other work uses ${percent.toFixed(0)} % of a CPU; waiting`);
  }
}

async function runOnce(context: Context, rate: number): Promise<Run> {
  const { database, bus, org } = context;
  const tasks = await createTasks(context);
  await waitForQuietMachine();
  const env = { ...process.env, DATABASE_URL: context.databaseUrl };
  const server = forkSupport('live-server.ts', env);
  const clients: ChildProcess[] = [];
  try {
    const { port } = await nextMessage<LiveServerReady>(server);
    for (let index = 0; index < clientProcessCount; index++)
      clients.push(forkSupport('live-clients.ts'));
    await ask(clients, {
      type: 'connect',
      url: `ws://127.0.0.1:${port}/api/live`,
      key: org.key,
      taskIds: tasks.map((task) => task.id),
      clientsPerTask: clientsPerTask / clientProcessCount,
    });
    await sleep(1000); // let the handshakes' garbage be collected before reading memory
    const idleRss = residentMiB(server.pid!).now;

    const start = now() + 200;
    const from = start + warmupSeconds * 1000;
    const schedule: Window = { start, from, to: from + durationSeconds * 1000 };
    for (const child of clients) command(child, { type: 'measure', from, to: schedule.to });
    const [published, cpu] = await Promise.all([
      Promise.all(
        tasks.map((task, index) =>
          publishTask(database, bus, {
            orgId: org.orgId,
            taskId: task.id,
            perSecond: rate / taskCount,
            ...schedule,
            // Staggered, so that the tasks' events come one by one at the total rate rather
            // than in bursts of one event a task.
            start: start + (index * 1000) / rate,
          }),
        ),
      ),
      sampleUsage(server, clients, schedule),
    ]);
    const lastSeqs = Object.fromEntries(
      tasks.map((task, index) => [task.id, published[index]!.lastSeq]),
    );
    const answers = await ask<Extract<ClientsReply, { type: 'report' }>>(clients, {
      type: 'drain',
      lastSeqs,
      timeoutMs: 120_000,
    });
    const reports = answers.map((answer) => answer.report);
    return {
      ...summarize(rate, published, reports),
      idleRss,
      peakRss: residentMiB(server.pid!).peak,
      ...cpu,
    };
  } finally {
    await Promise.all(clients.map((child) => stopChild(child, { type: 'stop' })));
    await stopChild(server, 'stop');
  }
}

function summarize(rate: number, published: Published[], reports: ClientsReport[]) {
  const inWindow = published.reduce((sum, task) => sum + task.inWindow, 0);
  const sum = (pick: (report: ClientsReport) => number) =>
    reports.reduce((total, report) => total + pick(report), 0);
  const closed = new Map<string, number>();
  for (const report of reports)
    for (const [code, count] of Object.entries(report.closed))
      closed.set(code, (closed.get(code) ?? 0) + count);
  return {
    rate,
    publishedPerSecond: inWindow / durationSeconds,
    deliveredPerSecond: sum((report) => report.received) / durationSeconds,
    expectedPerSecond: (inWindow * clientsPerTask) / durationSeconds,
    p50: mergedPercentile(reports, 50),
    p99: mergedPercentile(reports, 99),
    max: Math.max(...reports.map((report) => report.maxLatencyMs)),
    appendP50: median(published.flatMap((task) => task.appendMs)),
    gaps: sum((report) => report.gaps),
    duplicates: sum((report) => report.duplicates),
    incomplete: sum((report) => report.incomplete),
    closed: [...closed].map(([code, count]) => `${count}×${code}`).join(' ') || 'none',
  };
}

const runColumns =
  '| events/s | run | published/s | delivered msg/s | expected msg/s | p50 ms | p99 ms | max ms | append+publish p50 ms | gaps | duplicates | incomplete | closed | idle RSS MiB | peak RSS MiB | CPU % server | clients | publisher | Postgres | other work |';

function runRow(run: Run, index: number): string {
  const cells = [
    run.rate,
    index + 1,
    run.publishedPerSecond.toFixed(0),
    run.deliveredPerSecond.toFixed(0),
    run.expectedPerSecond.toFixed(0),
    run.p50.toFixed(1),
    run.p99.toFixed(1),
    run.max.toFixed(0),
    run.appendP50.toFixed(1),
    run.gaps,
    run.duplicates,
    run.incomplete,
    run.closed,
    run.idleRss.toFixed(0),
    run.peakRss.toFixed(0),
    run.serverCpu.toFixed(0),
    run.clientsCpu.toFixed(0),
    run.publisherCpu.toFixed(0),
    run.postgresCpu.toFixed(0),
    run.otherCpu.toFixed(0),
  ];
  return `| ${cells.join(' | ')} |`;
}

function medianRow(rate: number, results: Run[]): string {
  const middle = (pick: (run: Run) => number, digits = 0) =>
    median(results.map(pick)).toFixed(digits);
  const cells = [
    rate,
    rate * clientsPerTask,
    middle((run) => run.deliveredPerSecond),
    middle((run) => run.p50, 1),
    middle((run) => run.p99, 1),
    middle((run) => run.peakRss),
    results.reduce((sum, run) => sum + run.gaps + run.duplicates + run.incomplete, 0),
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-bench-'));
  const postgres = await startEmbeddedPostgres({ dataDir, settings: { max_connections: '200' } });
  const database = connectDatabase({ url: postgres.url, poolSize: taskCount + 2 });
  let bus: Bus | null = null;
  const results = new Map<number, Run[]>();
  try {
    await migrate(database.pool);
    bus = await createPostgresBus(database);
    const org = await createOrg(database);
    for (const rate of rates) {
      results.set(rate, []);
      for (let run = 0; run < runs; run++) {
        const result = await runOnce({ database, bus, org, databaseUrl: postgres.url }, rate);
        results.get(rate)!.push(result);
        console.error(runRow(result, run));
      }
    }
  } finally {
    await bus?.close();
    await database.close();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const lines = [
    `${clientCount} clients over ${taskCount} tasks (${clientsPerTask} a task) in ${clientProcessCount} client processes; ${warmupSeconds} s warm-up, ${durationSeconds} s measured, ${runs} runs a rate.`,
    '',
    runColumns,
    `|${'---|'.repeat(runColumns.split('|').length - 2)}`,
    ...[...results.values()].flatMap((list) => list.map(runRow)),
    '',
    '| events/s | target msg/s | delivered msg/s | p50 ms | p99 ms | peak RSS MiB | gaps + duplicates + incomplete |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...[...results].map(([rate, list]) => medianRow(rate, list)),
  ];
  console.log(lines.join('\n'));
}

console.log(await machine());
await main();
