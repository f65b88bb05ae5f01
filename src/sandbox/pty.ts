// Interactive processes on a pseudo-terminal (node-pty), started under the launcher like any
// run: same cgroups, rlimits and executor. A terminal's process tree never outlives kill().
import { randomUUID } from 'node:crypto';
import { spawn as spawnPty } from 'node-pty';
import type { CgroupManager } from './cgroups.js';
import { launcherCommand, launcherEnv, type LauncherFiles } from './launcher.js';
import type { PtyExit, PtyProcess, SandboxLimits } from './types.js';
import type { RunCgroup } from './cgroups.js';

export interface OpenPtyProcessOptions {
  command: readonly string[];
  /** The launcher's own environment and folder; executors other than host keep the defaults. */
  env?: Record<string, string>;
  cwd?: string;
  /** Files the launcher opens for the executor (bubblewrap's arguments and seccomp program). */
  files?: LauncherFiles;
  limits: SandboxLimits;
  cgroups: CgroupManager;
  cols: number;
  rows: number;
  now?: () => number;
}

/** Starts `command` on a new pseudo-terminal. */
export function openPtyProcess(options: OpenPtyProcessOptions): PtyProcess {
  const { limits, cgroups, now = () => performance.now() } = options;
  let cgroup: RunCgroup | null = null;
  try {
    cgroup = cgroups.createRunCgroup(randomUUID(), limits);
  } catch {
    cgroup = null;
  }
  const launcher = launcherCommand({
    procsFiles: cgroup?.procsFiles ?? [],
    limits,
    hasCgroupMemory: cgroups.support.hasMemory && cgroup !== null,
    hasCgroupPids: cgroups.support.hasPids && cgroup !== null,
    isReportingTimes: false,
    command: options.command,
    ...options.files,
  });
  const terminal = spawnPty(launcher.file, launcher.args, {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd ?? '/',
    env: options.env ?? launcherEnv,
  });
  const startedAt = now();
  const listeners: ((exit: PtyExit) => void)[] = [];
  let measured: ReturnType<RunCgroup['readUsage']> = { cpuMs: null, peakMemoryBytes: null };
  let hasMeasured = false;
  const kill = () => {
    if (!hasMeasured && cgroup) measured = cgroup.readUsage(); // the counters go with the cgroup
    hasMeasured = true;
    try {
      process.kill(-terminal.pid, 'SIGKILL'); // node-pty makes the child a session leader
    } catch {
      // Already gone.
    }
    cgroup?.destroy();
  };
  const timer = setTimeout(kill, limits.timeoutMs);
  terminal.onExit(({ exitCode, signal }) => {
    clearTimeout(timer);
    kill();
    const usage = { wallMs: Math.round(now() - startedAt), ...measured };
    for (const listener of listeners) listener({ exitCode, signal: signal ? signal : null, usage });
  });
  return {
    pid: terminal.pid,
    write: (data) => terminal.write(data),
    resize: (cols, rows) => terminal.resize(cols, rows),
    onData: (listener) => void terminal.onData(listener),
    onExit: (listener) => void listeners.push(listener),
    kill,
  };
}
