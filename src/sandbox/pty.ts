// Interactive processes on a pseudo-terminal (node-pty), started under the launcher like any
// run: same cgroups, rlimits and executor. A terminal's process tree never outlives kill().
import { randomUUID } from 'node:crypto';
import { spawn as spawnPty } from 'node-pty';
import type { CgroupManager } from './cgroups.js';
import { launcherCommand, launcherEnv } from './launcher.js';
import type { PtyProcess, SandboxLimits } from './types.js';

export interface OpenPtyProcessOptions {
  command: readonly string[];
  /** The launcher's own environment and folder; executors other than host keep the defaults. */
  env?: Record<string, string>;
  cwd?: string;
  limits: SandboxLimits;
  cgroups: CgroupManager;
  cols: number;
  rows: number;
}

/** Starts `command` on a new pseudo-terminal. */
export function openPtyProcess(options: OpenPtyProcessOptions): PtyProcess {
  const { limits, cgroups } = options;
  let cgroup = null;
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
  });
  const terminal = spawnPty(launcher.file, launcher.args, {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd ?? '/',
    env: options.env ?? launcherEnv,
  });
  const kill = () => {
    try {
      process.kill(-terminal.pid, 'SIGKILL'); // node-pty makes the child a session leader
    } catch {
      // Already gone.
    }
    cgroup?.destroy();
  };
  const timer = setTimeout(kill, limits.timeoutMs);
  terminal.onExit(() => {
    clearTimeout(timer);
    kill();
  });
  return {
    pid: terminal.pid,
    write: (data) => terminal.write(data),
    resize: (cols, rows) => terminal.resize(cols, rows),
    onData: (listener) => void terminal.onData(listener),
    onExit: (listener) =>
      void terminal.onExit(({ exitCode, signal }) =>
        listener({ exitCode, signal: signal ? signal : null }),
      ),
    kill,
  };
}
