// Runs one launcher command as a child process: streams its output under the output cap,
// enforces the wall timeout by killing the whole tree, and measures what it used. It must
// never leave a process of the run alive after `result` settles.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { createAsyncQueue } from './async-queue.js';
import type { CgroupManager, RunCgroup } from './cgroups.js';
import { launcherCommand, launcherEnv, parseTimes } from './launcher.js';
import type { RunEvent, RunHandle, RunResult, SandboxLimits } from './types.js';

export interface RunProcessOptions {
  /** The executor and its arguments, ending with the user's argv. */
  command: readonly string[];
  /** The launcher's own environment and folder; executors other than host keep the defaults. */
  env?: Record<string, string>;
  cwd?: string;
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
  });
  const startedAt = now();
  const child = spawn(launcher.file, launcher.args, {
    env: options.env ?? launcherEnv,
    cwd: options.cwd ?? '/',
    detached: true, // its own process group, so that a kill reaches every host-side process
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const events = createAsyncQueue<RunEvent>();
  let isTimedOut = false;
  let outputBytes = 0;
  let isOutputTruncated = false;
  let timesText = '';

  let measured: ReturnType<RunCgroup['readUsage']> = { cpuMs: null, peakMemoryBytes: null };
  let hasMeasured = false;
  const measure = () => {
    if (hasMeasured || !cgroup) return;
    hasMeasured = true;
    measured = cgroup.readUsage();
  };
  const killTree = () => {
    measure(); // the cgroup's counters go with it
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    }
    cgroup?.destroy();
    options.onKill?.();
  };
  const onOutput = (type: 'stdout' | 'stderr') => {
    const decoder = new StringDecoder('utf8');
    return (chunk: Buffer) => {
      if (isOutputTruncated) return; // keep draining so the command never blocks on a full pipe
      const room = limits.outputBytes - outputBytes;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      outputBytes += kept.length;
      const data = decoder.write(kept);
      if (data) events.push({ type, data });
      if (kept.length < chunk.length) {
        isOutputTruncated = true;
        events.push({ type: 'output-truncated', limitBytes: limits.outputBytes });
      }
    };
  };
  child.stdout!.on('data', onOutput('stdout'));
  child.stderr!.on('data', onOutput('stderr'));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    timesText += chunk.toString('utf8');
  });
  child.stdin!.on('error', () => undefined); // the command may exit without reading stdin
  child.stdin!.end(options.stdin ?? '');

  const timer = setTimeout(() => {
    isTimedOut = true;
    killTree();
  }, limits.timeoutMs);
  const onAbort = () => killTree();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) killTree();

  const result = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      killTree();
      events.end();
      reject(error);
    });
    child.once('exit', () => {
      // Whatever the command left behind on the host side (the host executor has no pid
      // namespace) dies with the run; pipes held open by it close with it.
      killTree();
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const wallMs = Math.round(now() - startedAt);
      cgroup?.destroy();
      events.end();
      resolve({
        exitCode: code,
        signal,
        isTimedOut,
        isOutputTruncated,
        usage: {
          wallMs,
          cpuMs: measured.cpuMs ?? parseTimes(timesText),
          peakMemoryBytes: measured.peakMemoryBytes,
        },
      });
    });
  });
  return { events, result, kill: killTree };
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
