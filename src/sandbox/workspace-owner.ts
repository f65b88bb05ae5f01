// Hands a worktree to the sandbox's host user when Cadre runs as root: what host-side git or
// the file API created as root becomes that user's, so the sandbox can change it. Every change
// goes through a folder descriptor checked to be inside the worktree (/proc/self/fd/N/name,
// never following the last symlink), so a symlink planted by the sandbox cannot redirect it.
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
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
// Adding, removing or renaming an entry moves a folder's ctime, but within one tick of the
// file system's coarse clock a second change may not: a folder changed this recently is
// read again next time rather than remembered.
const settleNs = 2_000_000_000n;
// The walk runs on Cadre's event loop before every run: a worktree the sandbox filled with
// folders must not stall the server. Past this many, the rest keeps its owners (the sandbox
// then cannot change root-owned files there; it can still read them).
export const maxFoldersWalked = 50_000;

export interface ClaimWorkspaceOptions {
  /** The worktree's real path (Cadre's own, never one the sandbox names). */
  root: string;
  user: HostUser;
  cache: OwnershipCache;
  /** The wall clock in milliseconds, for telling settled folders from fresh ones. */
  now?: () => number;
  /** Folders visited at most (maxFoldersWalked). */
  maxFolders?: number;
}

/**
 * Makes every file and folder under `root` owned by `user`, except the worktree's own folder
 * (it stays Cadre's, so host-side git trusts it, and gets the user's group with write access)
 * and its `.git` pointer. Folders unchanged since the last walk are not read again.
 */
export function claimWorkspace(options: ClaimWorkspaceOptions): void {
  const { user, cache, now = Date.now, maxFolders = maxFoldersWalked } = options;
  // The walk compares the kernel's names of opened folders with this one: it must be canonical.
  const root = realpathSync(options.root);
  const nowNs = BigInt(Math.floor(now())) * 1_000_000n;
  const rootFd = openSync(root, openFolderFlags);
  try {
    const stat = fstatSync(rootFd);
    if (stat.gid !== user.gid) fchownSync(rootFd, stat.uid, user.gid);
    if ((stat.mode & 0o070) !== 0o070) fchmodSync(rootFd, (stat.mode & 0o7777) | 0o070);
    walkTree({ root, path: '', user, cache, nowNs }, maxFolders);
  } finally {
    closeSync(rootFd);
  }
}

interface WalkStep {
  root: string;
  path: string;
  user: HostUser;
  cache: OwnershipCache;
  nowNs: bigint;
}

/** Visits folders depth-first from a stack (a deep tree must not overflow the call stack). */
function walkTree(first: WalkStep, maxFolders: number): void {
  const pending = [first.path];
  for (let budget = maxFolders; pending.length > 0 && budget > 0; budget -= 1) {
    const path = pending.pop()!;
    for (const name of visitFolder({ ...first, path })) pending.push(`${path}/${name}`);
  }
}

/** Claims one folder's entries if it changed since the last walk; returns its subfolders. */
function visitFolder(step: WalkStep): string[] {
  const { root, path, cache } = step;
  // A plain lstat only reads: a folder swapped for a symlink since it was listed shows as one.
  let stat;
  try {
    stat = lstatSync(root + path, { bigint: true });
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [];
  const known = cache.get(path);
  if (known && known.ctimeNs === stat.ctimeNs) return known.subfolders;
  const listed = listFolder(step);
  if (!listed) return [];
  if (step.nowNs - listed.ctimeNs > settleNs) cache.set(path, listed);
  else cache.delete(path);
  return listed.subfolders;
}

/** Opens the folder, proves it is the one at `root + path`, and claims its entries. */
function listFolder(step: WalkStep): FolderRecord | null {
  const { root, path, user } = step;
  let fd: number;
  try {
    fd = openSync(root + path, openFolderFlags);
  } catch {
    return null; // gone, or the last part replaced by a symlink
  }
  try {
    // The kernel's own name for what was opened: any part swapped for a symlink shows here.
    if (readlinkSync(`/proc/self/fd/${fd}`) !== root + path) return null;
    const subfolders: string[] = [];
    for (const entry of readdirSync(`/proc/self/fd/${fd}`, { withFileTypes: true })) {
      if (path === '' && entry.name === '.git') continue;
      if (entry.isSymbolicLink()) continue; // no host-side writer makes them for us
      const child = `/proc/self/fd/${fd}/${entry.name}`;
      try {
        const seen = lstatSync(child);
        // lchown never follows the last part, and the folder part is the checked descriptor.
        if (seen.uid !== user.uid || seen.gid !== user.gid) lchownSync(child, user.uid, user.gid);
        if (seen.isDirectory()) subfolders.push(entry.name);
      } catch {
        // Removed or replaced while we looked: the sandbox's own doing, nothing to hand over.
      }
    }
    return { ctimeNs: fstatSync(fd, { bigint: true }).ctimeNs, subfolders };
  } finally {
    closeSync(fd);
  }
}
