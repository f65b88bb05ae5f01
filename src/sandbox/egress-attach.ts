// Attaches egress to one held run: pins its namespaces by file descriptor (so a reused pid
// can never point us at another process), starts slirp4netns on them and loads the nftables
// rules with nft. Never the host's own network namespace: that is refused outright.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { egressRules, type EgressRulesOptions } from './egress-rules.js';

/** The programs egress needs, by absolute path. */
export interface EgressTools {
  unshare: string;
  nsenter: string;
  slirp4netns: string;
  nft: string;
  mkfifo: string;
}

/** Open descriptors of a run's network namespace and, when Cadre is not root, its user one. */
export interface PinnedNamespaces {
  net: number;
  user: number | null;
  close(): void;
}

/**
 * Opens the namespaces of process `pid`, then checks that it is still the run's holder
 * (its command line names `marker`, the run's private FIFO) and not in the host's network.
 */
export function pinNamespaces(
  pid: number,
  marker: string,
  hasUserNamespace: boolean,
): PinnedNamespaces {
  const fds: number[] = [];
  const close = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  try {
    const net = openSync(`/proc/${pid}/ns/net`, 'r');
    fds.push(net);
    const user = hasUserNamespace ? openSync(`/proc/${pid}/ns/user`, 'r') : null;
    if (user !== null) fds.push(user);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!argv.includes(marker)) throw new Error('the held process is not the run');
    if (fstatSync(net).ino === statSync('/proc/self/ns/net').ino) {
      throw new Error("the run is in the host's network namespace");
    }
    return { net, user, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** slirp4netns on the run's namespace; resolves once tap0 is up and configured. */
export function startSlirp(
  tools: EgressTools,
  namespaces: PinnedNamespaces,
  pid: number,
  children: ChildProcess[],
): Promise<void> {
  // fd 3 closes when Cadre goes away, which ends slirp4netns; fd 4 says "ready"; fd 5 is the
  // pinned network namespace.
  const args = [
    '--configure',
    '--mtu=65520',
    '--disable-host-loopback',
    '--enable-sandbox',
    '--enable-seccomp',
    '--exit-fd=3',
    '--ready-fd=4',
  ];
  // As root, the pinned namespace. Otherwise by pid (slirp4netns cannot switch its group id
  // when given a user namespace path): the holder waits for us, and a user that is not root
  // can only ever configure namespaces it owns itself.
  if (namespaces.user === null) args.push('--netns-type=path', '/proc/self/fd/5', 'tap0');
  else args.push(String(pid), 'tap0');
  const child = spawn(tools.slirp4netns, args, {
    stdio: [
      'ignore',
      'ignore',
      'pipe',
      'pipe',
      'pipe',
      namespaces.net,
      namespaces.user ?? 'ignore',
    ],
    env: {},
  });
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
export function loadRules(
  tools: EgressTools,
  namespaces: PinnedNamespaces,
  rules: EgressRulesOptions,
  children: ChildProcess[],
): Promise<void> {
  const args = ['--net=/proc/self/fd/3'];
  // Not root: the namespace belongs to the run's user namespace, where Cadre's user is root.
  if (namespaces.user !== null) args.push('--user=/proc/self/fd/4', '--preserve-credentials');
  args.push('--', tools.nft, '-f', '-');
  const child = spawn(tools.nsenter, args, {
    stdio: ['pipe', 'ignore', 'pipe', namespaces.net, namespaces.user ?? 'ignore'],
    env: {},
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 2_000) stderr += chunk.toString('utf8');
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(egressRules(rules));
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
