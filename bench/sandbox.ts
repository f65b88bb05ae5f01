// npm run bench:sandbox — the cost of starting a command in the sandbox: `true` through the
// bubblewrap executor (namespaces, cgroups, prlimit, the launcher), one at a time and 8 at
// once, beside the same `true` started by Node with no sandbox at all, and with network
// (a private network namespace, slirp4netns and the nftables egress rules); and, when run as
// root, the cost of handing a large worktree to the sandbox's host user before each run.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../src/config/index.js';
import { checkSandbox, collectRun, createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { claimWorkspace, type OwnershipCache } from '../src/sandbox/workspace-owner.js';
import { machine, median, percentile } from './support/report.js';

const startsPerRound = 200;
// A networked start costs more than ten plain ones; fewer keep the benchmark short.
const networkedStartsPerRound = 40;
const rounds = 3;
const parallelism = 8;
const warmUp = 20;

type Starter = () => Promise<void>;

function bare(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end();
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}

function sandboxed(sandbox: Sandbox, workspace: string, hasNetwork = false): Starter {
  return async () => {
    const run = await collectRun(sandbox.run({ argv: ['true'], workspace, hasNetwork }));
    if (run.exitCode !== 0) throw new Error(`true failed in the sandbox: ${run.stderr}`);
  };
}

/** Latencies of `count` starts, `concurrency` at a time. */
async function measure(start: Starter, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let done = 0; done < count; done += concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count - done) }, async () => {
        const begin = performance.now();
        await start();
        latencies.push(performance.now() - begin);
      }),
    );
  }
  return latencies;
}

function machineLines(): string {
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  const nproc = execFileSync('nproc').toString().trim();
  const memory = execFileSync('free', ['-h']).toString().split('\n')[1]?.trim().split(/\s+/)[1];
  return `\`nproc\` = ${nproc}, CPU ${cpuModel ?? 'unknown'}, \`free -h\` total ${memory}, Node ${process.version}.`;
}

const benchmarksFile = new URL('../docs/benchmarks.md', import.meta.url);

/** Replaces this benchmark's section of docs/benchmarks.md (or appends it), leaving the others as they are. */
async function writeOwnSection(title: string, body: string) {
  const text = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : '# Benchmarks\n';
  const stamp = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${await machine()}.`;
  const section = `## ${title}\n\n${stamp}\n\n${body.trim()}\n`;
  const start = text.indexOf(`## ${title}\n`);
  const end = start < 0 ? -1 : text.indexOf('\n## ', start + 3);
  const before = start < 0 ? text : text.slice(0, start);
  const after = end < 0 ? '' : text.slice(end + 1);
  writeFileSync(benchmarksFile, `${before.trimEnd()}\n\n${section}${after ? `\n${after}` : ''}`);
}

const ownershipFolders = 2_000;
const filesPerFolder = 10;

/** Time of one call, in milliseconds. */
function timed(work: () => void): number {
  const begin = performance.now();
  work();
  return performance.now() - begin;
}

/**
 * The walk that gives a worktree to the host user before each run (Cadre as root): first on
 * a tree made by root, then on the same tree unchanged, then after root adds one file.
 */
async function measureOwnership(hostUid: number): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cadre-bench-owner-'));
  try {
    for (let folder = 0; folder < ownershipFolders; folder++) {
      const dir = join(root, `d${folder % 40}`, `f${folder}`);
      mkdirSync(dir, { recursive: true });
      for (let file = 0; file < filesPerFolder; file++) writeFileSync(join(dir, `${file}.ts`), '');
    }
    const user = { uid: hostUid, gid: hostUid };
    const cache: OwnershipCache = new Map();
    // Folders count as settled from the second walk on (they are older than a few seconds).
    const later = () => Date.now() + 10_000;
    const cold = timed(() => claimWorkspace({ root, user, cache: new Map() }));
    claimWorkspace({ root, user, cache, now: later });
    const warm: number[] = [];
    for (let round = 0; round < 20; round++) {
      warm.push(timed(() => claimWorkspace({ root, user, cache, now: later })));
    }
    writeFileSync(join(root, 'd7', 'f7', 'added.ts'), '');
    const afterChange = timed(() => claimWorkspace({ root, user, cache, now: later }));
    const files = ownershipFolders * filesPerFolder;
    return [
      `| worktree | first walk ms | unchanged, median ms | after one added file ms |`,
      '| --- | ---: | ---: | ---: |',
      `| ${files.toLocaleString('en')} files in ${ownershipFolders.toLocaleString('en')} folders | ${cold.toFixed(1)} | ${median(warm).toFixed(1)} | ${afterChange.toFixed(1)} |`,
    ].join('\n');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main() {
  const config = Config.parse({}).sandbox;
  const report = await checkSandbox(config);
  if (!report.isAvailable) throw new Error(`${report.message} ${report.installHint ?? ''}`);
  const workspace = await mkdtemp(join(tmpdir(), 'cadre-bench-sandbox-'));
  const sandbox = createSandbox(config);
  const networked = sandboxed(sandbox, workspace, true);
  const targets: [string, Starter][] = [
    ['`true`, no sandbox (child_process.spawn)', bare],
    ['`true` in the bubblewrap sandbox', sandboxed(sandbox, workspace)],
    ['`true` in the bubblewrap sandbox with network', networked],
  ];
  const rows: string[][] = [];
  let sandboxP50 = Number.NaN;
  try {
    for (const [name, start] of targets) {
      await measure(start, warmUp, 1);
      for (const concurrency of [1, parallelism]) {
        const p50: number[] = [];
        const p99: number[] = [];
        for (let round = 0; round < rounds; round++) {
          const count = start === networked ? networkedStartsPerRound : startsPerRound;
          const latencies = await measure(start, count, concurrency);
          p50.push(percentile(latencies, 50));
          p99.push(percentile(latencies, 99));
        }
        const row = [name, String(concurrency), median(p50).toFixed(1), median(p99).toFixed(1)];
        if (start !== bare && start !== networked && concurrency === 1) sandboxP50 = median(p50);
        rows.push(row);
        console.log(row.join(' | '));
      }
    }
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
  const isRoot = process.getuid?.() === 0;
  const ownership = isRoot ? await measureOwnership(config.hostUid) : null;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const table = [
    '| command | at once | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  await writeOwnSection(
    'Sandbox (npm run bench:sandbox)',
    `${machineLines()} Load average at the end: ${load}.

Each start runs \`true\` to its exit and reads all its output: through the sandbox that is the
launcher shell (joining the run's cgroups, setting the rlimits)${isRoot ? ', as Cadre runs as root here: the ownership walk of the workspace, a privileged bubblewrap that binds the workspace, setpriv to the host user' : ''}, bubblewrap with every namespace unshared
(network included) and its seccomp filter, the sandbox's /etc, /proc with its read-only and hidden
entries, /dev, private /tmp and home, the workspace bound read-write, then \`true\`. With network, the run first gets its own network namespace,
slirp4netns attached to it and the egress rules loaded with nft, while the command waits.
${startsPerRound} starts per round (${networkedStartsPerRound} with network) after ${warmUp} warm-up starts,
${rounds} rounds; the table shows the median of the rounds' p50 and p99. "At once" is how many
starts run concurrently (latency is per start). ${report.message} The machine is shared with
other builds and tests: with a load average near the CPU count or above, figures move a lot
between invocations, so compare the rows of one run with each other.

${table}

| target | measured | result |
| --- | --- | --- |
| sandboxed start p50 ≤ 15 ms | ${sandboxP50.toFixed(1)} ms | ${sandboxP50 <= 15 ? 'met' : 'missed'} |
${
  ownership
    ? `
Handing the worktree to the sandbox's host user (Cadre as root; \`claimWorkspace\`, run before
each command): the first walk opens every folder and file not yet the host user's and changes
its owner; later walks take one lstat per folder and list again only the folders whose ctime
moved. It runs on Cadre's event loop, so it is time no other request
gets.

${ownership}`
    : ''
}`,
  );
}

await main();
