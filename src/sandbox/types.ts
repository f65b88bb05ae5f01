// The sandbox contract: what a command run and an interactive terminal look like to their
// callers. Executors implement it; nothing here may depend on a particular executor.

/** Resource limits of one run; every field has a default in limits.ts. */
export interface SandboxLimits {
  /** Wall-clock time before the whole process tree is killed, in milliseconds. */
  timeoutMs: number;
  /** CPU time of the run, in seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Memory of the whole run (cgroup) or of each process (RLIMIT_AS), in bytes. */
  memoryBytes: number;
  /** Processes and threads alive at once (cgroup pids, or RLIMIT_NPROC). */
  processes: number;
  /** The largest file a process may write, in bytes (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  openFiles: number;
  /** Bytes of stdout and stderr kept; the rest is dropped and the result says so. */
  outputBytes: number;
}

/** One command to run in a sandbox. */
export interface RunOptions {
  argv: readonly string[];
  /** The folder mounted read-write; the command starts in it unless `cwd` says otherwise. */
  workspace: string;
  /** A folder inside the workspace, relative to it. */
  cwd?: string;
  /** Bytes written to the command's stdin, which is then closed. */
  stdin?: string | Uint8Array;
  /** The only variables the command sees, besides PATH, HOME and TERM defaults. */
  env?: Readonly<Record<string, string>>;
  limits?: Partial<SandboxLimits>;
  /** Whether the command may reach the network (the project's setting). */
  hasNetwork?: boolean;
  /** Aborting kills the run as a timeout does. */
  signal?: AbortSignal;
}

/** What a run streams while it runs. */
export type RunEvent =
  | { type: 'stdout'; data: string }
  | { type: 'stderr'; data: string }
  | { type: 'output-truncated'; limitBytes: number };

/** Resource use of a finished run; null where this machine cannot measure it. */
export interface ResourceUsage {
  wallMs: number;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
}

/** How a run ended. */
export interface RunResult {
  /** The exit code, or null when a signal ended the command. */
  exitCode: number | null;
  signal: string | null;
  isTimedOut: boolean;
  isOutputTruncated: boolean;
  usage: ResourceUsage;
}

/** A run in progress: iterate `events` for output, await `result` for the end. */
export interface RunHandle {
  events: AsyncIterable<RunEvent>;
  result: Promise<RunResult>;
  /** Kills the whole process tree now. */
  kill(): void;
}

/** Options of an interactive terminal. */
export interface PtyOptions {
  workspace: string;
  cwd?: string;
  /** Defaults to an interactive shell. */
  argv?: readonly string[];
  env?: Readonly<Record<string, string>>;
  cols?: number;
  rows?: number;
  hasNetwork?: boolean;
  limits?: Partial<SandboxLimits>;
}

/** How an interactive process ended, and what it used. */
export interface PtyExit {
  exitCode: number;
  signal: number | null;
  usage: ResourceUsage;
}

/** An interactive process on a pseudo-terminal. */
export interface PtyProcess {
  readonly pid: number;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  onData(listener: (data: string) => void): void;
  onExit(listener: (exit: PtyExit) => void): void;
  kill(): void;
}

export type ExecutorName = 'bubblewrap' | 'podman' | 'host';

/** Runs commands in isolation. One per process; runs may overlap. */
export interface Sandbox {
  readonly executor: ExecutorName;
  run(options: RunOptions): RunHandle;
  openPty(options: PtyOptions): PtyProcess;
}
