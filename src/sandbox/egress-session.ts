// One networked run's network: the command starts held in a new network namespace and
// reports its pid over a private FIFO; once slirp4netns and the rules are in place, "go"
// on a second FIFO lets it exec bubblewrap. Any failure ends the run with the reason.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CadreError } from '../errors/index.js';
import { blockedRanges, hostAddresses } from './egress-addresses.js';
import { loadRules, pinNamespaces, startSlirp, type EgressTools } from './egress-attach.js';

/** One networked run's network: the command that waits for it, and its lifecycle. */
export interface EgressSession {
  /** The command to start in place of the executor's: it waits until `start` is done. */
  readonly command: string[];
  /** Call once the command is started: attaches the network, then lets the command go. */
  start(): void;
  /** Stops the egress helper and removes the session's files; safe to call twice. */
  close(): void;
}

export interface EgressSessionOptions {
  /** The executor's command (bwrap … -- argv), started once the network is ready. */
  command: readonly string[];
  tools: EgressTools;
  /** The admin's allowlist, as CIDRs. */
  allow: readonly string[];
  setupTimeoutMs: number;
}

// $1: a FIFO to report our pid on; $2: a FIFO to wait on. "go" lets the command start, any
// other line is the reason it cannot (printed, exit 125). Both are closed before the exec,
// so the command never holds them (an executor must not pass its own descriptors 8 and 9
// through here). Values travel only as arguments.
const holdScript = [
  'exec 8>"$1" 9<"$2" || exit 125',
  'echo $$ >&8; exec 8>&-',
  'IFS= read -r line <&9; exec 9<&-',
  'if [ "$line" != go ]; then printf "cadre: %s\\n" "$line" >&2; exit 125; fi',
  'shift 2; exec "$@"',
].join('\n');

/** Prepares a session; nothing runs until the caller starts `command`, then calls `start`. */
export function openEgressSession(options: EgressSessionOptions): EgressSession {
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
  const hasUserNamespace = process.getuid?.() !== 0;
  // Root needs no user namespace: the network namespace then belongs to the host's, where
  // the sandbox holds nothing. Anyone else makes one, where they are root.
  const command = [
    tools.unshare,
    '--net',
    ...(hasUserNamespace ? ['--user', '--map-root-user'] : []),
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
  const attach = async () => {
    const pid = await readPid(pidStream);
    pidStream.destroy();
    if (isClosed) return;
    const namespaces = pinNamespaces(pid, pidFifo, hasUserNamespace);
    try {
      const rules = { allow: options.allow, block: [...blockedRanges, ...hostAddresses()] };
      await Promise.all([
        startSlirp(tools, namespaces, pid, children),
        loadRules(tools, namespaces, rules, children),
      ]);
    } finally {
      namespaces.close();
    }
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
    attach().then(() => {
      clearTimeout(timer);
      if (!isClosed) answer('go');
    }, fail);
  };
  return { command, start, close };
}

function readPid(stream: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const lines = text.split('\n');
      if (lines.length < 2) return;
      const pid = Number(lines[0]);
      if (Number.isInteger(pid) && pid > 0) resolve(pid);
      else reject(new Error('the sandbox did not report its process'));
    });
    stream.on('error', reject);
    stream.on('close', () => reject(new Error('the sandbox ended before its network was ready')));
  });
}
