// Race-free paths below a root that a sandboxed process may change at the same moment: a path
// is walked one part at a time from a held folder descriptor, each part opened through
// /proc/self/fd/<fd>/<name> without following it, so a symlink swapped in anywhere is seen.
// Nothing may ever be created, renamed or removed here by a path resolved earlier.
import { constants } from 'node:fs';
import { mkdir, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { CadreError } from '../errors/index.js';
import { isInside } from './paths.js';

/** A folder below the root, held open by its descriptor. */
export interface HeldFolder {
  handle: FileHandle;
  /** Its path relative to the root as walked, '' for the root itself. */
  relative: string;
}

/** What `withEntry` walks. */
export interface EntryOptions {
  root: string;
  /** The path as the caller gave it, for messages. */
  path: string;
  /** The parts of the path, already checked by confinePathText. */
  segments: readonly string[];
  /** Whether missing folders on the way are made (for writes). */
  createsFolders?: boolean;
}

const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
// As many symlinks as the kernel follows in one path before it answers ELOOP.
const maxSymlinks = 40;
/** Folders below the root held open at once by one walk; a deeper path is refused. */
export const maxFolderDepth = 255;

/** The name of `name` inside `folder` that pins the folder: only `name` itself is looked up. */
export function entryPath(folder: HeldFolder, name: string): string {
  return `/proc/self/fd/${folder.handle.fd}/${name}`;
}

/** Opens the folder `name` of `folder` without following it (ENOTDIR for a symlink or a file). */
export async function openChildFolder(folder: HeldFolder, name: string): Promise<HeldFolder> {
  const handle = await open(entryPath(folder, name), folderFlags);
  const relative = name === '.' ? folder.relative : joinRelative(folder.relative, name);
  return { handle, relative };
}

/**
 * Walks to the last part of the path and runs `use` with the folder holding it and its name
 * ('.' when the path names a folder through `..` or a link to '.'). A symlink on the way, or a
 * last part for which `use` fails with ELOOP or ENOTDIR while it is a symlink, is followed as
 * the kernel would, as long as it stays below the root; every folder is closed afterwards.
 */
export async function withEntry<T>(
  options: EntryOptions,
  use: (folder: HeldFolder, name: string) => Promise<T>,
): Promise<T> {
  const { root, path, createsFolders = false } = options;
  if (options.segments.length - 1 > maxFolderDepth) throw tooDeep(path);
  const realRoot = await realpath(root);
  const held: HeldFolder[] = [
    { handle: await open(root, constants.O_RDONLY | constants.O_DIRECTORY), relative: '' },
  ];
  const top = () => held[held.length - 1]!;
  const pending = [...options.segments];
  let symlinks = 0;
  let lastSymlink = '';
  /** Puts the target of the symlink `name` in front of the rest; false when it is no symlink. */
  const follow = async (name: string): Promise<boolean> => {
    const target = await readlink(entryPath(top(), name)).catch(() => null);
    if (target === null) return false;
    const through = joinRelative(top().relative, name);
    lastSymlink = through;
    if (++symlinks > maxSymlinks) throw leadsOutside(path, through);
    if (target.startsWith('/')) {
      const rest = belowRoot(target, [realRoot, root]);
      if (rest === null) throw leadsOutside(path, through);
      while (held.length > 1) await held.pop()!.handle.close();
      pending.unshift(...parts(rest));
    } else {
      pending.unshift(...parts(target));
    }
    return true;
  };
  try {
    for (;;) {
      const name = pending.shift() ?? '.';
      const isLast = pending.length === 0;
      if (name === '..') {
        if (held.length === 1) throw leadsOutside(path, lastSymlink);
        await held.pop()!.handle.close();
        if (isLast) pending.push('.');
        continue;
      }
      if (name === '.' && !isLast) continue;
      if (held.length === 1 && name.toLowerCase() === '.git') throw insideGit(path);
      if (isLast) {
        try {
          return await use(top(), name);
        } catch (error) {
          if (isLinkError(error) && (await follow(name))) continue;
          throw error;
        }
      }
      if (held.length - 1 >= maxFolderDepth) throw tooDeep(path);
      let child = await openChildFolder(top(), name).catch((error: NodeJS.ErrnoException) => error);
      if (child instanceof Error && child.code === 'ENOENT' && createsFolders) {
        await mkdir(entryPath(top(), name), 0o755).catch(() => undefined);
        child = await openChildFolder(top(), name).catch((error: NodeJS.ErrnoException) => error);
      }
      if (!(child instanceof Error)) {
        held.push(child);
        continue;
      }
      if (isLinkError(child) && (await follow(name))) continue;
      throw child;
    }
  } finally {
    for (const folder of held) await folder.handle.close();
  }
}

/** What opening a symlink without following it fails with. */
function isLinkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ELOOP' || code === 'ENOTDIR';
}

/** The part of an absolute `target` below one of `roots`, or null when it is below none. */
function belowRoot(target: string, roots: string[]): string | null {
  for (const root of roots) {
    if (isInside(root, target)) return target.slice(root.length);
  }
  return null;
}

function parts(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function joinRelative(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

function leadsOutside(path: string, through: string) {
  return new CadreError(
    'PATH_OUTSIDE_WORKSPACE',
    `path: "${path}" goes through the symlink "${through || '.'}", which leads outside the workspace.`,
    { details: { field: 'path', path, reason: 'symlink leads outside' } },
  );
}

function insideGit(path: string) {
  return new CadreError(
    'PATH_OUTSIDE_WORKSPACE',
    `path: "${path}" leads into git's own folder through a symlink; give a path outside .git.`,
    { details: { field: 'path', path, reason: "is inside git's own folder" } },
  );
}

function tooDeep(path: string) {
  return new CadreError(
    'VALIDATION_FAILED',
    `path: "${path}" goes through more than ${maxFolderDepth} folders; use a command in the sandbox for it.`,
    { details: { field: 'path', path } },
  );
}
