// Listing, reading and writing files of a worktree for the API and the agents' tools. Every
// path goes through confinePath, and every opened file is checked again through its file
// descriptor, so a symlink swapped in after the check still cannot lead outside. Writes are
// atomic (temporary file, fsync, rename).
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  appendFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  unlink,
} from 'node:fs/promises';
import { posix } from 'node:path';
import { CadreError } from '../errors/index.js';
import { confinePath, isInside } from './paths.js';

/** One entry of a listing. */
export interface FileEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
}

export const maxFileBytes = 5 * 1024 * 1024;
const maxEntries = 20_000;

/** Every file and folder under `path` (the whole workspace by default), without .git. */
export async function listFiles(root: string, path = ''): Promise<FileEntry[]> {
  const start = await confinePath(root, path);
  const entries: FileEntry[] = [];
  const walk = async (relative: string) => {
    const dir = relative ? posix.join(root, relative) : root;
    const children = await readdir(dir, { withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
          throw new CadreError('NOT_FOUND', `No folder "${path}" in the workspace.`);
        }
        throw error;
      },
    );
    children.sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      if (!relative && child.name === '.git') continue;
      if (entries.length >= maxEntries) return;
      const childPath = relative ? `${relative}/${child.name}` : child.name;
      const stat = await lstat(posix.join(root, childPath));
      const type = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : 'file';
      entries.push({ path: childPath, type, size: type === 'file' ? stat.size : 0 });
      if (type === 'directory') await walk(childPath);
    }
  };
  await walk(start.relative);
  return entries;
}

/** The text of one file; a missing file is NOT_FOUND, a larger one than 5 MiB FILE_TOO_LARGE. */
export async function readWorkspaceFile(root: string, path: string): Promise<string> {
  const confined = await confinePath(root, path);
  const target = await followInside(confined.absolute);
  const handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
    (error: NodeJS.ErrnoException) => {
      throw fileOpenError(error, path);
    },
  );
  try {
    await checkOpenedInside(root, handle.fd, path);
    const stat = await handle.stat();
    if (!stat.isFile()) throw fileNotFound(path);
    if (stat.size > maxFileBytes) throw tooLarge(path);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The suffix of the temporary file a write fills before it is renamed over its target. */
export const partialSuffix = '.cadre-partial';

/**
 * Writes `content` to one file, creating its folders; refused paths change nothing. The write
 * is atomic: a temporary file beside the target is written, synced and renamed over it, so a
 * crash at any point leaves the old content or the new one, never a truncated file.
 */
export async function writeWorkspaceFile(
  root: string,
  path: string,
  content: string,
): Promise<void> {
  const confined = await confinePath(root, path);
  if (!confined.relative)
    throw new CadreError('VALIDATION_FAILED', 'path: give a file path, not the workspace root.');
  if (Buffer.byteLength(content) > maxFileBytes) throw tooLarge(path);
  await mkdir(posix.dirname(confined.absolute), { recursive: true });
  const target = await followInside(confined.absolute);
  const existing = await lstat(target).catch(() => null);
  if (existing?.isDirectory())
    throw new CadreError('VALIDATION_FAILED', `path: "${path}" is a folder, not a file.`);
  await removeStalePartials(target);
  // A fresh name, opened exclusively and without following links; checked again through its fd.
  const partial = partialPath(target);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(partial, flags, existing ? existing.mode & 0o777 : 0o644).catch(
    (error: NodeJS.ErrnoException) => {
      throw fileOpenError(error, path);
    },
  );
  let opened: string;
  try {
    opened = await realpath(`/proc/self/fd/${handle.fd}`);
    try {
      await checkOpenedInside(root, handle.fd, path);
    } catch (error) {
      await unlink(opened).catch(() => undefined);
      throw error;
    }
    await handle.write(content, 0, 'utf8');
    await handle.sync();
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  } finally {
    await handle.close();
  }
  // Renamed where the temporary file really is, so a folder swapped meanwhile changes nothing.
  const folder = posix.dirname(opened);
  await rename(opened, posix.join(folder, posix.basename(target))).catch(async (error: unknown) => {
    await unlink(opened).catch(() => undefined);
    throw fileOpenError(error as NodeJS.ErrnoException, path);
  });
  await syncFolder(folder);
}

/** A new temporary name beside `target`. */
function partialPath(target: string): string {
  const name = `.${posix.basename(target)}.${randomBytes(6).toString('hex')}${partialSuffix}`;
  return posix.join(posix.dirname(target), name);
}

/**
 * Tells git of the repository at `gitDir` (and of all its worktrees) to ignore the temporary
 * files of writes, so that one left by a killed writer is never committed.
 */
export async function ignorePartialWrites(gitDir: string): Promise<void> {
  const exclude = posix.join(gitDir, 'info', 'exclude');
  const pattern = `*${partialSuffix}`;
  const current = await readFile(exclude, 'utf8').catch(() => '');
  if (current.split('\n').includes(pattern)) return;
  await mkdir(posix.dirname(exclude), { recursive: true });
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await appendFile(exclude, `${separator}${pattern}\n`);
}

/** Removes temporary files an interrupted write of `target` left behind. */
async function removeStalePartials(target: string) {
  const folder = posix.dirname(target);
  const prefix = `.${posix.basename(target)}.`;
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith(partialSuffix)) {
      await unlink(posix.join(folder, name)).catch(() => undefined);
    }
  }
}

/** Makes a rename in `folder` durable. */
async function syncFolder(folder: string) {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** A final symlink already checked by confinePath is replaced by its target. */
async function followInside(absolute: string): Promise<string> {
  const stat = await lstat(absolute).catch(() => null);
  return stat?.isSymbolicLink() ? realpath(absolute) : absolute;
}

function fileNotFound(path: string) {
  return new CadreError('NOT_FOUND', `No file "${path}" in the workspace.`, {
    details: { kind: 'file', path },
  });
}

async function checkOpenedInside(root: string, fd: number, path: string) {
  const [realRoot, opened] = await Promise.all([realpath(root), realpath(`/proc/self/fd/${fd}`)]);
  if (!isInside(realRoot, opened)) {
    throw new CadreError('PATH_OUTSIDE_WORKSPACE', `path: "${path}" leads outside the workspace.`, {
      details: { field: 'path', path, reason: 'resolved outside' },
    });
  }
}

function fileOpenError(error: NodeJS.ErrnoException, path: string) {
  if (error.code === 'ENOENT') return fileNotFound(path);
  if (error.code === 'ELOOP') {
    return new CadreError(
      'PATH_OUTSIDE_WORKSPACE',
      `path: "${path}" is a symlink; read or write its target instead.`,
      {
        details: { field: 'path', path, reason: 'symlink' },
      },
    );
  }
  if (error.code === 'EISDIR')
    return new CadreError('VALIDATION_FAILED', `path: "${path}" is a folder, not a file.`);
  return error;
}

function tooLarge(path: string) {
  return new CadreError(
    'FILE_TOO_LARGE',
    `path: "${path}" is larger than ${maxFileBytes} bytes; use a command in the sandbox for large files.`,
  );
}
