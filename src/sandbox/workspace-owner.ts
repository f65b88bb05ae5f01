// Hands a worktree to the sandbox's host user when Cadre runs as root: what host-side git or
// the file API created as root becomes that user's, so the sandbox can change it. It walks by
// descriptor (/proc/self/fd/N/name), never by a path a sandboxed symlink could redirect.
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
} from 'node:fs';
import type { HostUser } from './host-user.js';

/** What a folder held when it was last walked, while its ctime has not moved. */
interface FolderRecord {
  ctimeNs: bigint;
  subfolders: string[];
}

/** Folders of one worktree already walked, by path relative to it. */
export type OwnershipCache = Map<string, FolderRecord>;

const openFolderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const openFileFlags =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
// Adding, removing or renaming an entry moves a folder's ctime, but within one tick of the
// file system's coarse clock a second change may not: a folder changed this recently is
// read again next time rather than remembered.
const settleNs = 2_000_000_000n;

export interface ClaimWorkspaceOptions {
  /** The worktree's real path (Cadre's own, never one the sandbox names). */
  root: string;
  user: HostUser;
  cache: OwnershipCache;
  /** The wall clock in milliseconds, for telling settled folders from fresh ones. */
  now?: () => number;
}

/**
 * Makes every file and folder under `root` owned by `user`, except the worktree's own folder
 * (it stays Cadre's, so host-side git trusts it, and gets the user's group with write access)
 * and its `.git` pointer. Folders unchanged since the last walk are not read again.
 */
export function claimWorkspace(options: ClaimWorkspaceOptions): void {
  const { root, user, cache, now = Date.now } = options;
  const nowNs = BigInt(Math.floor(now())) * 1_000_000n;
  const rootFd = openSync(root, openFolderFlags);
  try {
    const stat = fstatSync(rootFd);
    if (stat.gid !== user.gid) fchownSync(rootFd, stat.uid, user.gid);
    if ((stat.mode & 0o070) !== 0o070) fchmodSync(rootFd, (stat.mode & 0o7777) | 0o070);
    walkFolder({ fd: rootFd, path: '', user, cache, nowNs });
  } finally {
    closeSync(rootFd);
  }
}

interface WalkStep {
  fd: number;
  path: string;
  user: HostUser;
  cache: OwnershipCache;
  nowNs: bigint;
}

function walkFolder(step: WalkStep): void {
  const { fd, path, user, cache } = step;
  const { ctimeNs } = fstatSync(fd, { bigint: true });
  const known = cache.get(path);
  let subfolders: string[];
  if (known && known.ctimeNs === ctimeNs) {
    subfolders = known.subfolders;
  } else {
    subfolders = [];
    for (const entry of readdirSync(`/proc/self/fd/${fd}`, { withFileTypes: true })) {
      if (path === '' && entry.name === '.git') continue;
      if (entry.isDirectory()) subfolders.push(entry.name);
      else if (entry.isFile()) claimFile(fd, entry.name, user);
      // Symlinks, FIFOs and sockets are left alone: no host-side writer makes them for us.
    }
    if (step.nowNs - ctimeNs > settleNs) cache.set(path, { ctimeNs, subfolders });
    else cache.delete(path);
  }
  for (const name of subfolders) {
    let childFd: number;
    try {
      childFd = openSync(`/proc/self/fd/${fd}/${name}`, openFolderFlags);
    } catch {
      continue; // gone, or replaced by a symlink, since it was listed
    }
    try {
      const stat = fstatSync(childFd);
      if (stat.uid !== user.uid || stat.gid !== user.gid) {
        fchownSync(childFd, user.uid, user.gid);
      }
      walkFolder({ ...step, fd: childFd, path: `${path}/${name}` });
    } finally {
      closeSync(childFd);
    }
  }
}

function claimFile(folderFd: number, name: string, user: HostUser): void {
  const path = `/proc/self/fd/${folderFd}/${name}`;
  try {
    const seen = lstatSync(path);
    if (seen.uid === user.uid && seen.gid === user.gid) return;
    const fd = openSync(path, openFileFlags);
    try {
      const stat = fstatSync(fd);
      // Still the regular file that was listed, not something swapped in since.
      if (stat.isFile() && stat.ino === seen.ino) fchownSync(fd, user.uid, user.gid);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Removed or replaced while we looked: the sandbox's own doing, nothing to hand over.
  }
}
