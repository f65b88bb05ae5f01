// Runs one launcher command as a child process: streams its output under the output cap,
// enforces the wall timeout by killing the whole tree, and measures what it used. It must
// never leave a process of the run alive after `result` settles.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { createAsyncQueue, type AsyncQueue } from './async-queue.js';
import type { CgroupManager, RunCgroup } from './cgroups.js';
import { launcherCommand, launcherEnv, type LauncherFiles, parseTimes } from './launcher.js';
import type { RunEvent, RunHandle, RunResult, SandboxLimits } from './types.js';

export interface RunProcessOptions {
  /** The executor and its arguments, ending with the user's argv. */
  command: readonly string[];
  /** The launcher's own environment and folder; executors other than host keep the defaults. */
  env?: Record<string, string>;
  cwd?: string;
  /** Files the launcher opens for the executor (bubblewrap's arguments and seccomp program). */
  files?: LauncherFiles;
  limits: SandboxLimits;
  cgroups: CgroupManager;
  stdin?: string | Uint8Array;
  signal?: AbortSignal;
  now?: () => number;
  /** Runs with every kill, for what lives outside the process group (podman's container). */
  onKill?: () => void;
}

/** Starts the command and returns its event stream and result. */
export function runProcess(options: RunProcessOptions): RunHandle {
  const { limits, cgroups, now = () => performance.now() } = options;
  const cgroup = createCgroup(cgroups, limits);
  const launcher = launcherCommand({
    procsFiles: cgroup?.procsFiles ?? [],
    limits,
    hasCgroupMemory: cgroups.support.hasMemory && cgroup !== null,
    hasCgroupPids: cgroups.support.hasPids && cgroup !== null,
    isReportingTimes: true,
    command: options.command,
    ...options.files,
  });
  const startedAt = now();
  const child = spawn(launcher.file, launcher.args, {
    env: options.env ?? launcherEnv,
    cwd: options.cwd ?? '/',
    detached: true, // its own process group, so that a kill reaches every host-side process
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const events = createAsyncQueue<RunEvent>();
  const output = createOutputCapture(limits.outputBytes, events);
  const killer = createTreeKiller(child, cgroup, options.onKill);
  let isTimedOut = false;
  let timesText = '';
  child.stdout!.on('data', output.sink('stdout'));
  child.stderr!.on('data', output.sink('stderr'));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    timesText += chunk.toString('utf8');
  });
  child.stdin!.on('error', () => undefined); // the command may exit without reading stdin
  child.stdin!.end(options.stdin ?? '');

  const timer = setTimeout(() => {
    isTimedOut = true;
    killer.kill();
  }, limits.timeoutMs);
  options.signal?.addEventListener('abort', killer.kill, { once: true });
  if (options.signal?.aborted) killer.kill();
  const settle = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', killer.kill);
    events.end();
  };

  const result = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (error) => {
      killer.kill();
      settle();
      reject(error);
    });
    // Whatever the command left behind on the host side (the host executor has no pid
    // namespace) dies with the run; pipes held open by it close with it.
    child.once('exit', killer.kill);
    child.once('close', (code, signal) => {
      const wallMs = Math.round(now() - startedAt);
      killer.kill();
      settle();
      const measured = killer.usage();
      resolve({
        exitCode: code,
        signal,
        isTimedOut,
        isOutputTruncated: output.isTruncated(),
        usage: {
          wallMs,
          cpuMs: measured.cpuMs ?? parseTimes(timesText),
          peakMemoryBytes: measured.peakMemoryBytes,
        },
      });
    });
  });
  return { events, result, kill: killer.kill };
}

/** Turns output chunks into events until `limitBytes`, then drops the rest (and says so once). */
function createOutputCapture(limitBytes: number, events: AsyncQueue<RunEvent>) {
  let bytes = 0;
  let isTruncated = false;
  return {
    isTruncated: () => isTruncated,
    sink: (type: 'stdout' | 'stderr') => {
      const decoder = new StringDecoder('utf8');
      return (chunk: Buffer) => {
        if (isTruncated) return; // keep draining so the command never blocks on a full pipe
        const room = limitBytes - bytes;
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
        bytes += kept.length;
        const data = decoder.write(kept);
        if (data) events.push({ type, data });
        if (kept.length < chunk.length) {
          isTruncated = true;
          events.push({ type: 'output-truncated', limitBytes });
        }
      };
    },
  };
}

/** Kills the run's process group and cgroup; reads the cgroup's counters first, once. */
function createTreeKiller(child: ChildProcess, cgroup: RunCgroup | null, onKill?: () => void) {
  let measured: ReturnType<RunCgroup['readUsage']> = { cpuMs: null, peakMemoryBytes: null };
  let hasMeasured = false;
  const kill = () => {
    if (!hasMeasured && cgroup) measured = cgroup.readUsage(); // the counters go with the cgroup
    hasMeasured = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    }
    cgroup?.destroy();
    onKill?.();
  };
  return { kill, usage: () => measured };
}

function createCgroup(cgroups: CgroupManager, limits: SandboxLimits): RunCgroup | null {
  // A cgroup that cannot be made (the tree was removed, the limit of cgroups reached) leaves
  // the rlimits in force; the run still happens.
  try {
    return cgroups.createRunCgroup(randomUUID(), limits);
  } catch {
    return null;
  }
}
