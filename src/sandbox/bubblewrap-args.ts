// Builds bubblewrap's command line for one run: every namespace unshared, a read-only system,
// the workspace read-write at /workspace, a private /tmp and home. It must never bind a host
// folder that holds secrets (/etc wholesale, /root, /home, /run, /var).
import { lstatSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';

export const sandboxWorkspace = '/workspace';
export const sandboxHome = '/home/cadre';
const sandboxUid = '1000';

// System folders every command needs; each is bound read-only, or recreated as the symlink
// it is on merged-/usr systems.
const systemDirs = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/opt'];
// The few files of /etc that programs need; never /etc/shadow, ssh keys or credentials.
const etcFiles = [
  '/etc/alternatives',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/mime.types',
  '/etc/services',
  '/etc/protocols',
];
const networkEtcFiles = ['/etc/hosts', '/etc/resolv.conf', '/etc/host.conf', '/etc/gai.conf'];

export interface BubblewrapArgsOptions {
  workspace: string;
  /** The start folder, relative to the workspace (already confined by the caller). */
  cwd: string;
  env: Readonly<Record<string, string>>;
  hasNetwork: boolean;
  /** A private folder holding the sandbox's passwd and group files (see writeAccountFiles). */
  accountsDir: string;
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
  if (options.hasNetwork) args.push('--share-net');
  args.push(...systemMounts());
  for (const file of options.hasNetwork ? [...etcFiles, ...networkEtcFiles] : etcFiles) {
    args.push('--ro-bind-try', file, file);
  }
  args.push('--ro-bind', posix.join(options.accountsDir, 'passwd'), '/etc/passwd');
  args.push('--ro-bind', posix.join(options.accountsDir, 'group'), '/etc/group');
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

/** Writes the sandbox's /etc/passwd and /etc/group (one user, no host accounts) to a new private folder. */
export function writeAccountFiles(): string {
  const dir = mkdtempSync(posix.join(tmpdir(), 'cadre-sandbox-'));
  writeFileSync(posix.join(dir, 'passwd'), passwdFile, { mode: 0o444 });
  writeFileSync(posix.join(dir, 'group'), groupFile, { mode: 0o444 });
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
