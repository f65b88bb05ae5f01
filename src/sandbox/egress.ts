// Network for sandboxes of projects with hasNetwork: a private network namespace, made before
// bubblewrap starts, with slirp4netns as its only way out and nftables rules that refuse the
// host and private ranges. The command is held until both are in place; the egress helper
// dies with the run. Runs without network never come here.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIpv4AddressOrCidr } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { blockedRanges, hostAddresses, toCidr } from './egress-addresses.js';
import { egressRules } from './egress-rules.js';
import { findExecutable } from './find-executable.js';
import type { PtyProcess, RunHandle } from './types.js';

/** How to install what networked sandboxes need, for messages and the start-up report. */
export const egressInstallHint =
  'Install slirp4netns and nftables (Debian and Ubuntu: apt-get install slirp4netns nftables; Fedora: dnf install slirp4netns nftables).';

export interface EgressOptions {
  /** Private or host addresses (IPv4 or CIDR) sandboxes may reach anyway. */
  allow?: readonly string[];
  /** How long the network may take to come up before the run fails; default 10 s. */
  setupTimeoutMs?: number;
}

/** One networked run's network: the command that waits for it, and its lifecycle. */
export interface EgressSession {
  /** The command to start in place of the executor's: it waits until `start` is done. */
  readonly command: string[];
  /** Call once the command is started: attaches the network, then lets the command go. */
  start(): void;
  /** Stops the egress helper and removes the session's files; safe to call twice. */
  close(): void;
}

/** Makes networked sessions; created once per sandbox. */
export interface Egress {
  open(command: readonly string[]): EgressSession;
}

interface EgressTools {
  unshare: string;
  nsenter: string;
  slirp4netns: string;
  nft: string;
  mkfifo: string;
}

// $1: a FIFO to report our pid on; $2: a FIFO to wait on. "go" lets the command start, any
// other line is the reason it cannot (printed, exit 125). Both are closed before the exec,
// so the command never holds them. Values travel only as arguments.
const holdScript = [
  'exec 8>"$1" 9<"$2" || exit 125',
  'echo $$ >&8; exec 8>&-',
  'IFS= read -r line <&9; exec 9<&-',
  'if [ "$line" != go ]; then printf "cadre: %s\\n" "$line" >&2; exit 125; fi',
  'shift 2; exec "$@"',
].join('\n');

/** The egress of networked sandboxes; it checks the tools only when a networked run comes. */
export function createEgress(options: EgressOptions = {}): Egress {
  const allow = (options.allow ?? []).map((entry) => {
    if (!isIpv4AddressOrCidr(entry)) {
      throw new CadreError(
        'CONFIG_INVALID',
        `sandbox.networkAllow: "${entry}" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24).`,
      );
    }
    return toCidr(entry);
  });
  const setupTimeoutMs = options.setupTimeoutMs ?? 10_000;
  let tools: EgressTools | null = null;
  return {
    open: (command) => {
      tools ??= findTools();
      checkTun();
      return openSession({ command, tools, allow, setupTimeoutMs });
    },
  };
}

/** Keeps the egress helper alive exactly as long as the run. */
export function followRun(session: EgressSession, handle: RunHandle): RunHandle {
  session.start();
  void handle.result.finally(session.close).catch(() => undefined);
  return {
    ...handle,
    kill: () => {
      handle.kill();
      session.close();
    },
  };
}

/** Keeps the egress helper alive exactly as long as the terminal. */
export function followPty(session: EgressSession, pty: PtyProcess): PtyProcess {
  session.start();
  pty.onExit(session.close);
  return {
    pid: pty.pid,
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    onData: (listener) => pty.onData(listener),
    onExit: (listener) => pty.onExit(listener),
    kill: () => {
      pty.kill();
      session.close();
    },
  };
}

function findTools(): EgressTools {
  const names = ['unshare', 'nsenter', 'slirp4netns', 'nft', 'mkfifo'] as const;
  const found: Partial<EgressTools> = {};
  const missing: string[] = [];
  for (const name of names) {
    const path = findExecutable(name);
    if (path) found[name] = path;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new CadreError(
      'SANDBOX_NETWORK_UNAVAILABLE',
      `This project has network access, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed, so its sandbox cannot be given a confined network. ${egressInstallHint}`,
      { details: { missing } },
    );
  }
  return found as EgressTools;
}

function checkTun(): void {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    throw new CadreError(
      'SANDBOX_NETWORK_UNAVAILABLE',
      "This project has network access, but /dev/net/tun cannot be opened by Cadre's user, so slirp4netns cannot give its sandbox a network. Load the tun module and make /dev/net/tun readable and writable by that user (mode 0666 is the default on Debian).",
    );
  }
}

interface SessionOptions {
  command: readonly string[];
  tools: EgressTools;
  allow: readonly string[];
  setupTimeoutMs: number;
}

function openSession(options: SessionOptions): EgressSession {
  const { tools } = options;
  const dir = mkdtempSync(join(tmpdir(), 'cadre-net-'));
  const pidFifo = join(dir, 'pid');
  const goFifo = join(dir, 'go');
  let pidFd = -1;
  let goFd = -1;
  try {
    execFileSync(tools.mkfifo, ['-m', '600', pidFifo, goFifo], { stdio: 'ignore' });
    // Read-write ends never block on open and never read an early end of file.
    pidFd = openSync(pidFifo, constants.O_RDWR | constants.O_NONBLOCK);
    goFd = openSync(goFifo, constants.O_RDWR);
  } catch (error) {
    for (const fd of [pidFd, goFd]) if (fd >= 0) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    throw new CadreError('SANDBOX_FAILED', 'The sandbox network could not be prepared.', {
      cause: error,
    });
  }
  const isRoot = process.getuid?.() === 0;
  // Root needs no user namespace: the network namespace then belongs to the host's, where
  // the sandbox holds nothing. Anyone else makes one, mapped to themselves.
  const command = [
    tools.unshare,
    '--net',
    ...(isRoot ? [] : ['--user', '--map-root-user']),
    '--',
    '/bin/sh',
    '-c',
    holdScript,
    'cadre-network',
    pidFifo,
    goFifo,
    ...options.command,
  ];
  const pidStream = new Socket({ fd: pidFd, readable: true, writable: false });
  const children: ChildProcess[] = [];
  let isClosed = false;
  let hasAnswered = false;

  const answer = (line: string) => {
    if (hasAnswered || goFd < 0) return;
    hasAnswered = true;
    try {
      writeSync(goFd, `${line.replace(/[\r\n]+/g, ' ').slice(0, 400)}\n`);
    } catch {
      // The command is gone already.
    }
  };
  const close = () => {
    if (isClosed) return;
    isClosed = true;
    answer('the run ended before its network was ready');
    pidStream.destroy();
    for (const child of children) child.kill('SIGKILL');
    if (goFd >= 0) closeSync(goFd);
    goFd = -1;
    rmSync(dir, { recursive: true, force: true });
  };
  const start = () => {
    const timer = setTimeout(
      () => fail(new Error(`no network after ${options.setupTimeoutMs} ms`)),
      options.setupTimeoutMs,
    );
    const fail = (error: unknown) => {
      clearTimeout(timer);
      const reason = error instanceof Error ? error.message : String(error);
      answer(`the sandbox network could not be set up: ${reason}`);
      for (const child of children) child.kill('SIGKILL');
    };
    readPid(pidStream)
      .then((pid) => {
        pidStream.destroy();
        if (isClosed) return;
        return Promise.all([
          startSlirp(tools, pid, children),
          loadRules(tools, pid, isRoot, {
            allow: options.allow,
            block: [...blockedRanges, ...hostAddresses()],
          }),
        ]);
      })
      .then(() => {
        clearTimeout(timer);
        if (!isClosed) answer('go');
      })
      .catch(fail);
  };
  return { command, start, close };
}

function readPid(stream: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n');
      if (line.length < 2) return;
      const pid = Number(line[0]);
      if (Number.isInteger(pid) && pid > 0) resolve(pid);
      else reject(new Error('the sandbox did not report its process'));
    });
    stream.on('error', reject);
    stream.on('close', () => reject(new Error('the sandbox ended before its network was ready')));
  });
}

/** slirp4netns on the run's namespace; resolves once tap0 is up and configured. */
function startSlirp(tools: EgressTools, pid: number, children: ChildProcess[]): Promise<void> {
  // fd 3: closed when Cadre goes away, which ends slirp4netns (--exit-fd); fd 4: "ready".
  const child = spawn(
    tools.slirp4netns,
    [
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--enable-sandbox',
      '--enable-seccomp',
      '--exit-fd=3',
      '--ready-fd=4',
      String(pid),
      'tap0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: {} },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 2_000) stderr += chunk.toString('utf8');
    });
    (child.stdio[4] as Socket).once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const detail = lastLine(stderr.replace(/WARNING: Support for seccomp is experimental/g, ''));
      reject(new Error(`slirp4netns exited (${signal ?? code})${detail ? `: ${detail}` : ''}`));
    });
  });
}

/** Loads the egress rules into the run's network namespace with nft. */
function loadRules(
  tools: EgressTools,
  pid: number,
  isRoot: boolean,
  rules: Parameters<typeof egressRules>[0],
): Promise<void> {
  const args = ['--target', String(pid), '--net'];
  // Not root: the namespace belongs to the run's user namespace, where we are its root.
  if (!isRoot) args.push('--user', '--preserve-credentials');
  args.push('--', tools.nft, '-f', '-');
  return new Promise((resolve, reject) => {
    const child = spawn(tools.nsenter, args, { stdio: ['pipe', 'ignore', 'pipe'], env: {} });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2_000) stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(egressRules(rules));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`nft refused the egress rules: ${lastLine(stderr) || `exit ${code}`}`));
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';
}
