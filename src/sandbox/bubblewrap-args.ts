// Builds bubblewrap's command line for one run: every namespace unshared, a read-only system,
// the workspace read-write at /workspace, a private /tmp and home. It must never bind a host
// folder that holds secrets (/etc wholesale, /root, /home, /run, /var).
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { slirpNetwork } from './egress-addresses.js';

export const sandboxWorkspace = '/workspace';
export const sandboxHome = '/home/cadre';
const sandboxUid = '1000';

// System folders every command needs; each is bound read-only, or recreated as the symlink
// it is on merged-/usr systems. Not /opt: it may hold anything.
const systemDirs = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// The few parts of /etc that programs need, copied once into the sandbox's own /etc (one
// mount instead of many). Never /etc/shadow, /etc/ssl/private, ssh keys or credentials.
const etcEntries = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'nsswitch.conf',
  'ssl/certs',
  'ssl/openssl.cnf',
  'ca-certificates',
  'ca-certificates.conf',
  'mime.types',
  'services',
  'protocols',
  'bash.bashrc',
  'profile',
  'inputrc',
];
// Read at each run when the project has network: they change while Cadre runs. The
// resolver is slirp4netns' (resolv.conf below): the host's may be on a private address.
const networkEtcFiles = ['hosts', 'host.conf', 'gai.conf'];

export interface BubblewrapArgsOptions {
  workspace: string;
  /** The start folder, relative to the workspace (already confined by the caller). */
  cwd: string;
  env: Readonly<Record<string, string>>;
  hasNetwork: boolean;
  /** The sandbox's own /etc, made by prepareSandboxEtc. */
  etcDir: string;
  /**
   * A terminal keeps its session so that the shell has job control; the PTY is private to
   * the run, so it offers nothing to steal. Plain runs get a new session (no TIOCSTI).
   */
  isTerminal?: boolean;
}

/** The arguments after `bwrap`, ending with `--` (the command follows). */
export function bubblewrapArgs(options: BubblewrapArgsOptions): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--uid',
    sandboxUid,
    '--gid',
    sandboxUid,
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    '--hostname',
    'cadre-sandbox',
  ];
  if (!options.isTerminal) args.push('--new-session');
  // Networked runs start inside the private namespace egress.ts made, never the host's.
  if (options.hasNetwork) args.push('--share-net');
  args.push(...systemMounts());
  args.push('--ro-bind', options.etcDir, '/etc');
  if (options.hasNetwork) {
    for (const file of networkEtcFiles) args.push('--ro-bind-try', `/etc/${file}`, `/etc/${file}`);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', sandboxHome);
  args.push('--bind', options.workspace, sandboxWorkspace);
  // The sandbox's own root (a tmpfs holding the mount points) is read-only too.
  args.push('--remount-ro', '/');
  args.push('--chdir', posix.join(sandboxWorkspace, options.cwd));
  args.push('--clearenv');
  for (const [name, value] of Object.entries(options.env)) args.push('--setenv', name, value);
  args.push('--');
  return args;
}

/** Makes the sandbox's /etc in a new private folder: one user, no host accounts or secrets. */
export function prepareSandboxEtc(): string {
  const dir = mkdtempSync(posix.join(tmpdir(), 'cadre-sandbox-etc-'));
  for (const entry of etcEntries) {
    const source = posix.join('/etc', entry);
    if (!existsSync(source)) continue;
    mkdirSync(posix.dirname(posix.join(dir, entry)), { recursive: true });
    try {
      cpSync(source, posix.join(dir, entry), { recursive: true, verbatimSymlinks: true });
    } catch {
      // Unreadable for Cadre's user: then the sandbox goes without it too.
    }
  }
  writeFileSync(posix.join(dir, 'passwd'), passwdFile, { mode: 0o444 });
  writeFileSync(posix.join(dir, 'group'), groupFile, { mode: 0o444 });
  writeFileSync(posix.join(dir, 'hostname'), 'cadre-sandbox\n', { mode: 0o444 });
  // Mount points for the network files, bound over them per run when allowed.
  for (const file of networkEtcFiles) writeFileSync(posix.join(dir, file), '', { mode: 0o444 });
  writeFileSync(posix.join(dir, 'resolv.conf'), `nameserver ${slirpNetwork.resolver}\n`, {
    mode: 0o444,
  });
  chmodSync(dir, 0o755);
  return dir;
}

const passwdFile = `root:x:0:0:root:/root:/usr/sbin/nologin\ncadre:x:${sandboxUid}:${sandboxUid}:cadre:${sandboxHome}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
const groupFile = `root:x:0:\ncadre:x:${sandboxUid}:\nnogroup:x:65534:\n`;

function systemMounts(): string[] {
  const args: string[] = [];
  for (const dir of systemDirs) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  return args;
}
