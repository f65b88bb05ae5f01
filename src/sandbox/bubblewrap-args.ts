// Builds bubblewrap's options for one run: every namespace unshared, no further user
// namespaces, a read-only system, kernel interfaces read-only or hidden, the workspace
// read-write at /workspace with its .git file masked, a private /tmp and home, the seccomp
// filter. It must never bind a host folder that holds secrets (/etc wholesale, /root, /home).
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { launcherFds } from './launcher.js';
import type { SandboxFiles } from './sandbox-files.js';

export const sandboxWorkspace = '/workspace';
export const sandboxHome = '/home/cadre';
/** The sandbox's own user id, whatever host user it maps to. */
export const sandboxUid = '1000';
/** Read at each run when the project has network: they change while Cadre runs. */
export const networkEtcFiles = ['hosts', 'host.conf', 'gai.conf'];

// System folders every command needs; each is bound read-only, or recreated as the symlink
// it is on merged-/usr systems. Not /opt: it may hold anything.
const systemDirs = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export interface BubblewrapArgsOptions {
  /** The host path bound at /workspace (the worktree, or the privileged stage's mount point). */
  workspaceSource: string;
  /** What is at the worktree's `.git`, masked inside: git's pointer to a host path. */
  gitEntry: 'file' | 'folder' | null;
  /** The start folder, relative to the workspace (already confined by the caller). */
  cwd: string;
  env: Readonly<Record<string, string>>;
  hasNetwork: boolean;
  files: SandboxFiles;
  /** bubblewrap 0.8 and later: no user namespace may be made inside (bubblewrap-version.ts). */
  canDisableUserns: boolean;
  /**
   * A terminal keeps its session so that the shell has job control; the PTY is private to
   * the run, so it offers nothing to steal. Plain runs get a new session (no TIOCSTI).
   */
  isTerminal?: boolean;
}

/** bubblewrap's options, for its `--args` file (the command follows on its command line). */
export function bubblewrapArgs(options: BubblewrapArgsOptions): string[] {
  const { files } = options;
  const args = [
    '--unshare-all',
    '--unshare-user',
    ...(options.canDisableUserns ? ['--disable-userns'] : []),
    '--uid',
    sandboxUid,
    '--gid',
    sandboxUid,
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    '--hostname',
    'cadre-sandbox',
    '--seccomp',
    String(launcherFds.seccomp),
  ];
  if (!options.isTerminal) args.push('--new-session');
  // Networked runs start inside the private namespace egress.ts made, never the host's.
  if (options.hasNetwork) args.push('--share-net');
  args.push(...systemMounts());
  args.push('--ro-bind', files.etcDir, '/etc');
  if (options.hasNetwork) {
    for (const file of networkEtcFiles) args.push('--ro-bind-try', `/etc/${file}`, `/etc/${file}`);
  }
  args.push('--proc', '/proc');
  for (const path of files.proc.readOnly) args.push('--ro-bind', path, path);
  for (const path of files.proc.hidden) args.push('--ro-bind', files.emptyFile, path);
  args.push('--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', sandboxHome);
  args.push('--bind', options.workspaceSource, sandboxWorkspace);
  if (options.gitEntry) {
    const mask = options.gitEntry === 'file' ? files.emptyFile : files.emptyDir;
    args.push('--ro-bind', mask, posix.join(sandboxWorkspace, '.git'));
  }
  // The sandbox's own root (a tmpfs holding the mount points) is read-only too.
  args.push('--remount-ro', '/');
  args.push('--chdir', posix.join(sandboxWorkspace, options.cwd));
  args.push('--clearenv');
  for (const [name, value] of Object.entries(options.env)) args.push('--setenv', name, value);
  return args;
}

/** What the worktree holds at `.git`; a symlink is never a mount target, so it is not masked. */
export function gitEntryOf(worktree: string): BubblewrapArgsOptions['gitEntry'] {
  try {
    const stat = lstatSync(posix.join(worktree, '.git'));
    if (stat.isFile()) return 'file';
    if (stat.isDirectory()) return 'folder';
  } catch {
    // No .git: nothing to mask.
  }
  return null;
}

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
