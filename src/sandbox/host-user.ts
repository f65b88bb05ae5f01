// When Cadre runs as root the sandbox must not: bubblewrap then runs as an unprivileged host
// user, dropped to with setpriv, so that the sandbox's user namespace maps to that user and
// never to root. A privileged first stage binds the worktree where that user can reach it.
import { CadreError } from '../errors/index.js';
import { findExecutable } from './find-executable.js';

/** The host user sandboxed processes run as when Cadre is root. */
export interface HostUser {
  uid: number;
  gid: number;
}

/** Whether this process is root, and so must drop to a host user for every sandbox. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** setpriv's path; SANDBOX_UNAVAILABLE when it is missing (Debian: util-linux). */
export function findSetpriv(): string {
  const setpriv = findExecutable('setpriv');
  if (!setpriv) {
    throw new CadreError(
      'SANDBOX_UNAVAILABLE',
      'Cadre runs as root and needs setpriv to run the sandbox as an unprivileged user; install util-linux (Debian: apt-get install util-linux), or run Cadre as an ordinary user.',
    );
  }
  return setpriv;
}

/** setpriv's arguments that become `user` with no group, capability or way back. */
export function dropPrivilegeArgs(setpriv: string, user: HostUser): string[] {
  return [
    setpriv,
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
  ];
}

export interface PrivilegedStageOptions {
  bwrap: string;
  setpriv: string;
  user: HostUser;
  /** The worktree's real path, which the host user may have no right to walk to. */
  worktree: string;
  /** An empty folder the host user can reach (SandboxFiles.mountPoint). */
  mountPoint: string;
}

/**
 * The command before the unprivileged bubblewrap: a bubblewrap run as root in a new mount
 * namespace (no user namespace), which binds the worktree on the mount point, then setpriv.
 * Its own pid namespace makes everything below it die with it: a parent-death signal from
 * this stage (root, its capabilities dropped) may not reach a process of another uid. The
 * sandbox never sees this stage: it lives outside the sandbox's pid namespace.
 */
export function privilegedStage(options: PrivilegedStageOptions): string[] {
  return [
    options.bwrap,
    '--dev-bind',
    '/',
    '/',
    '--unshare-pid',
    '--bind',
    options.worktree,
    options.mountPoint,
    '--die-with-parent',
    '--',
    ...dropPrivilegeArgs(options.setpriv, options.user),
  ];
}
