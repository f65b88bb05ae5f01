// `npm run bench:api`: the API's throughput and latency under load, beside a bare Fastify
// route measured in the same run, the server's peak memory, and the CLI's cold start.
// It runs the built CLI (`npm run build` first) and prints a Markdown table.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('../', import.meta.url));
const cadreBin = join(root, 'bin', 'cadre.js');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const connections = 100;

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

/** Starts a child and resolves once a line of its stdout matches `ready`. */
function startChild(file: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(file, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let output = '';
  return new Promise<Server>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${output}`)), 60_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, exited });
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => reject(new Error(`exited before it was ready:\n${output}`)));
  });
}

function startCadre(dataDir: string): Promise<Server> {
  const env = {
    PATH: process.env.PATH,
    HOME: dataDir,
    CADRE_DATA_DIR: dataDir,
    CADRE_PORT: '0',
    CADRE_RATE_LIMIT_PER_MINUTE: '0',
    CADRE_LOG_LEVEL: 'warn',
  };
  return startChild(process.execPath, [cadreBin, 'up'], env, /is running at (http:\/\/\S+)/);
}

const bareServer = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: 0 });
console.log('listening at http://127.0.0.1:' + app.server.address().port);
`;

function startBare(): Promise<Server> {
  const args = ['--input-type=module', '-e', bareServer];
  return startChild(process.execPath, args, { PATH: process.env.PATH }, /listening at (\S+)/);
}

async function stop(server: Server) {
  server.child.kill('SIGTERM');
  await server.exited;
}

/** Peak resident memory of a process, in MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib / 1024;
}

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string> = {}): Promise<Load> {
  await autocannon({ url, connections, duration: 1, headers }); // warm-up
  const result = await autocannon({ url, connections, duration: durationSeconds, headers });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function waitForHealth(url: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${url}/healthz`).catch(() => null);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Seconds from spawning `cadre up` to a 200 from /healthz. */
async function coldStart(dataDir: string): Promise<number> {
  const started = performance.now();
  const server = await startCadre(dataDir);
  await waitForHealth(server.url);
  const seconds = (performance.now() - started) / 1000;
  await stop(server);
  return seconds;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main() {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('The CLI is not built: run `npm run build` first.');
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-bench-'));
  const samples: Record<string, { load: Load[]; rss: number[] }> = {
    'bare Fastify route': { load: [], rss: [] },
    'GET /healthz': { load: [], rss: [] },
    'GET /api/projects/:id (authenticated)': { load: [], rss: [] },
  };
  try {
    for (let run = 1; run <= runs; run++) {
      const bare = await startBare();
      samples['bare Fastify route']!.load.push(await load(`${bare.url}/hello`));
      samples['bare Fastify route']!.rss.push(await peakRssMiB(bare.child.pid!));
      await stop(bare);

      const cadre = await startCadre(dataDir);
      const key = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
      const headers = { authorization: `Bearer ${key}` };
      const project = await fetch(`${cadre.url}/api/projects`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${run}` }),
      });
      const { id } = (await project.json()) as { id: string };
      samples['GET /healthz']!.load.push(await load(`${cadre.url}/healthz`));
      samples['GET /api/projects/:id (authenticated)']!.load.push(
        await load(`${cadre.url}/api/projects/${id}`, headers),
      );
      const rss = await peakRssMiB(cadre.child.pid!);
      samples['GET /healthz']!.rss.push(rss);
      samples['GET /api/projects/:id (authenticated)']!.rss.push(rss);
      await stop(cadre);
      process.stderr.write(`run ${run}/${runs} done\n`);
    }

    const firstStarts: number[] = [];
    const laterStarts: number[] = [];
    for (let run = 0; run < runs; run++) {
      const fresh = await mkdtemp(join(tmpdir(), 'cadre-bench-cold-'));
      firstStarts.push(await coldStart(fresh));
      laterStarts.push(await coldStart(fresh));
      laterStarts.push(await coldStart(fresh));
      await rm(fresh, { recursive: true, force: true });
    }

    const lines = [
      `${runs} runs of ${durationSeconds} s, ${connections} connections; medians.`,
      '',
      '| target | req/s | p50 ms | p99 ms | errors | peak RSS MiB |',
      '|---|---:|---:|---:|---:|---:|',
    ];
    for (const [name, { load: loads, rss }] of Object.entries(samples)) {
      lines.push(
        `| ${name} | ${Math.round(median(loads.map((l) => l.requestsPerSecond)))} | ` +
          `${median(loads.map((l) => l.p50))} | ${median(loads.map((l) => l.p99))} | ` +
          `${loads.reduce((sum, l) => sum + l.errors, 0)} | ${median(rss).toFixed(0)} |`,
      );
    }
    const authenticated = median(
      samples['GET /api/projects/:id (authenticated)']!.load.map((l) => l.requestsPerSecond),
    );
    const bareRate = median(samples['bare Fastify route']!.load.map((l) => l.requestsPerSecond));
    const p99 = median(samples['GET /api/projects/:id (authenticated)']!.load.map((l) => l.p99));
    const first = median(firstStarts);
    const later = median(laterStarts);
    const met = (isMet: boolean) => (isMet ? 'met' : 'missed');
    lines.push(
      '',
      `Cold start of \`cadre up\` to a healthy /healthz: first run (initdb) median ${first.toFixed(2)} s ` +
        `(${firstStarts.map((s) => s.toFixed(2)).join(', ')}); later runs median ${later.toFixed(2)} s ` +
        `(${laterStarts.map((s) => s.toFixed(2)).join(', ')}).`,
      '',
      '| target | measured | result |',
      '|---|---|---|',
      `| authenticated read p99 ≤ 20 ms | ${p99} ms | ${met(p99 <= 20)} |`,
      `| authenticated read ≥ half the bare route's req/s | ${((authenticated / bareRate) * 100).toFixed(0)} % | ${met(authenticated >= bareRate / 2)} |`,
      `| cold start, first run ≤ 10 s | ${first.toFixed(2)} s | ${met(first <= 10)} |`,
      `| cold start, later runs ≤ 3 s | ${later.toFixed(2)} s | ${met(later <= 3)} |`,
    );
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
