// Per-run control groups: memory and process limits, CPU and peak-memory accounting, and a
// kill that reaches every process of a run. Works on cgroup v1 or v2, whichever this process
// may write; it must never touch a cgroup it did not create.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SandboxLimits } from './types.js';

/** What the cgroups of this machine let Cadre limit and measure. */
export interface CgroupSupport {
  version: 1 | 2 | null;
  hasMemory: boolean;
  hasPids: boolean;
  hasCpu: boolean;
  /** Why cgroups are not used, when they are not. */
  reason?: string;
}

/** The cgroups of one run. */
export interface RunCgroup {
  /** The cgroup.procs files the run's first process must write its pid to. */
  procsFiles: string[];
  readUsage(): { cpuMs: number | null; peakMemoryBytes: number | null };
  /** Kills every process left in the run's cgroups and removes them. */
  destroy(): void;
}

/** Finds writable cgroups and creates one per run. */
export interface CgroupManager {
  support: CgroupSupport;
  createRunCgroup(runId: string, limits: SandboxLimits): RunCgroup | null;
}

const baseName = 'cadre-sandbox';
const v1Controllers = ['memory', 'pids', 'cpuacct'] as const;

/** Detects writable cgroups under this process's own cgroup (nothing above it is touched). */
export function createCgroupManager(options: { isDisabled?: boolean } = {}): CgroupManager {
  if (options.isDisabled) return noCgroups('disabled by configuration');
  const mounts = readMounts();
  const own = readOwnCgroups();
  const v1 = detectV1(mounts, own);
  if (v1) return v1;
  const v2 = detectV2(mounts, own);
  return v2 ?? noCgroups('no writable memory or pids cgroup (v1 or v2) for this user');
}

function noCgroups(reason: string): CgroupManager {
  const support = { version: null, hasMemory: false, hasPids: false, hasCpu: false, reason };
  return { support, createRunCgroup: () => null };
}

function readMounts(): { type: string; path: string; options: string }[] {
  const text = safeRead('/proc/self/mountinfo') ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [type = '', , superOptions = ''] = right.split(' ');
      return { type, path: fields[4] ?? '', options: superOptions };
    })
    .filter((mount) => mount.type === 'cgroup' || mount.type === 'cgroup2');
}

function readOwnCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of (safeRead('/proc/self/cgroup') ?? '').split('\n').filter(Boolean)) {
    const [, controllers = '', path = '/'] = line.split(':');
    for (const name of controllers.split(',')) own.set(name, path);
  }
  return own;
}

function detectV1(mounts: ReturnType<typeof readMounts>, own: Map<string, string>) {
  const dirs = new Map<string, string>();
  for (const controller of v1Controllers) {
    const mount = mounts.find(
      (item) => item.type === 'cgroup' && item.options.split(',').includes(controller),
    );
    const path = own.get(controller);
    if (!mount || path === undefined) continue;
    const base = join(mount.path, path, baseName);
    if (tryMkdir(base)) dirs.set(controller, base);
  }
  if (!dirs.has('memory') && !dirs.has('pids')) return null;
  const support: CgroupSupport = {
    version: 1,
    hasMemory: dirs.has('memory'),
    hasPids: dirs.has('pids'),
    hasCpu: dirs.has('cpuacct'),
  };
  return {
    support,
    createRunCgroup: (runId: string, limits: SandboxLimits) => createV1(dirs, runId, limits),
  };
}

function createV1(bases: Map<string, string>, runId: string, limits: SandboxLimits): RunCgroup {
  const dirs = new Map<string, string>();
  for (const [controller, base] of bases) {
    const dir = join(base, runId);
    mkdirSync(dir);
    dirs.set(controller, dir);
  }
  const memory = dirs.get('memory');
  if (memory) {
    writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Without swap accounting this file is absent; the memory limit alone then applies.
    tryWrite(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  }
  const pids = dirs.get('pids');
  if (pids) writeFileSync(join(pids, 'pids.max'), String(limits.processes));
  const cpu = dirs.get('cpuacct');
  return {
    procsFiles: [...dirs.values()].map((dir) => join(dir, 'cgroup.procs')),
    readUsage: () => ({
      cpuMs: cpu ? nanosToMs(safeRead(join(cpu, 'cpuacct.usage'))) : null,
      peakMemoryBytes: memory
        ? toNumber(safeRead(join(memory, 'memory.max_usage_in_bytes')))
        : null,
    }),
    destroy: () => {
      for (const dir of dirs.values()) killAndRemove(dir, null);
    },
  };
}

function detectV2(mounts: ReturnType<typeof readMounts>, own: Map<string, string>) {
  const mount = mounts.find((item) => item.type === 'cgroup2');
  const path = own.get('');
  if (!mount || path === undefined) return null;
  const parent = join(mount.path, path);
  const controllers = (safeRead(join(parent, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  const wanted = ['memory', 'pids', 'cpu'].filter((name) => controllers.includes(name));
  if (!wanted.includes('memory') && !wanted.includes('pids')) return null;
  const base = join(parent, baseName);
  if (!tryMkdir(base)) return null;
  // Controllers must be enabled on every level between the parent and the run's cgroup.
  const enable = wanted.map((name) => `+${name}`).join(' ');
  if (!tryWrite(join(parent, 'cgroup.subtree_control'), enable)) return null;
  if (!tryWrite(join(base, 'cgroup.subtree_control'), enable)) return null;
  const support: CgroupSupport = {
    version: 2,
    hasMemory: wanted.includes('memory'),
    hasPids: wanted.includes('pids'),
    hasCpu: wanted.includes('cpu'),
  };
  return {
    support,
    createRunCgroup: (runId: string, limits: SandboxLimits) =>
      createV2(base, support, runId, limits),
  };
}

function createV2(
  base: string,
  support: CgroupSupport,
  runId: string,
  limits: SandboxLimits,
): RunCgroup {
  const dir = join(base, runId);
  mkdirSync(dir);
  if (support.hasMemory) {
    writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
    tryWrite(join(dir, 'memory.swap.max'), '0');
  }
  if (support.hasPids) writeFileSync(join(dir, 'pids.max'), String(limits.processes));
  return {
    procsFiles: [join(dir, 'cgroup.procs')],
    readUsage: () => {
      const stat = safeRead(join(dir, 'cpu.stat')) ?? '';
      const usec = /usage_usec (\d+)/.exec(stat)?.[1];
      return {
        cpuMs: usec === undefined ? null : Math.round(Number(usec) / 1000),
        peakMemoryBytes: toNumber(safeRead(join(dir, 'memory.peak'))),
      };
    },
    destroy: () => killAndRemove(dir, join(dir, 'cgroup.kill')),
  };
}

/** Kills what is left in `dir` (cgroup.kill on v2, signal by signal on v1) and removes it. */
function killAndRemove(dir: string, killFile: string | null) {
  if (!existsSync(dir)) return;
  if (killFile && existsSync(killFile)) tryWrite(killFile, '1');
  // A process may fork between reading the list and the kill; the pids limit bounds the loop.
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const pids = (safeRead(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean);
    if (pids.length === 0 && tryRmdir(dir)) return;
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

function tryMkdir(path: string): boolean {
  try {
    mkdirSync(path, { recursive: true });
    accessSync(join(path, 'cgroup.procs'), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function tryRmdir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}

function tryWrite(path: string, value: string): boolean {
  try {
    writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

function safeRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function toNumber(text: string | null): number | null {
  if (text === null || !/^\d+\s*$/.test(text)) return null;
  return Number(text.trim());
}

function nanosToMs(text: string | null): number | null {
  const value = toNumber(text);
  return value === null ? null : Math.round(value / 1e6);
}
