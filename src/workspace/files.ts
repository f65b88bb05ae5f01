// Listing, reading and writing files of a worktree for the API and the agents' tools, while a
// sandboxed process may change the worktree at the same moment. Every path is checked by its
// text, then walked through held folder descriptors (confined-fs.ts), so no symlink, however
// swapped in, leads outside; writes are atomic (temporary file, fsync, rename, folder fsync).
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  appendFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  unlink,
} from 'node:fs/promises';
import { posix } from 'node:path';
import { CadreError } from '../errors/index.js';
import {
  entryPath,
  maxFolderDepth,
  openChildFolder,
  withEntry,
  type HeldFolder,
} from './confined-fs.js';
import { confinePathText } from './paths.js';

/** One entry of a listing. */
export interface FileEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
}

export const maxFileBytes = 5 * 1024 * 1024;
const maxEntries = 20_000;

/**
 * Every file and folder under `path` (the whole workspace by default), without .git. Symlinks
 * are listed, never followed into; folders deeper than maxFolderDepth are listed, not entered.
 */
export async function listFiles(root: string, path = ''): Promise<FileEntry[]> {
  const { relative, folder: start, isRoot } = await openListedFolder(root, path);
  const entries: FileEntry[] = [];
  const walk = async (folder: HeldFolder, prefix: string, depth: number) => {
    const names = await readdir(entryPath(folder, '.'));
    names.sort((a, b) => a.localeCompare(b));
    for (const name of names) {
      if (isRoot && depth === 0 && name === '.git') continue;
      if (entries.length >= maxEntries) return;
      const stat = await lstat(entryPath(folder, name)).catch(() => null);
      if (!stat) continue; // removed since the folder was read
      const childPath = prefix ? `${prefix}/${name}` : name;
      const type = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : 'file';
      entries.push({ path: childPath, type, size: type === 'file' ? stat.size : 0 });
      if (type !== 'directory' || depth + 1 >= maxFolderDepth) continue;
      // Swapped for a symlink or a file since the lstat: then neither followed nor entered.
      const child = await openChildFolder(folder, name).catch(() => null);
      if (!child) continue;
      try {
        await walk(child, childPath, depth + 1);
      } finally {
        await child.handle.close();
      }
    }
  };
  try {
    await walk(start, relative, 0);
  } finally {
    await start.handle.close();
  }
  return entries;
}

/** The names in the folder `path`, or none when there is no such folder in the workspace. */
export async function listFolderNames(root: string, path: string): Promise<string[]> {
  const opened = await openListedFolder(root, path).catch(() => null);
  if (!opened) return [];
  try {
    return await readdir(entryPath(opened.folder, '.'));
  } finally {
    await opened.folder.handle.close();
  }
}

/** The folder `path` names, held open, and whether it is the workspace root. */
async function openListedFolder(root: string, path: string) {
  const { relative } = confinePathText(root, path);
  const options = { root, path, segments: segmentsOf(relative) };
  const folder = await withEntry(options, (parent, name) => openChildFolder(parent, name)).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
        throw new CadreError('NOT_FOUND', `No folder "${path}" in the workspace.`);
      }
      throw error;
    },
  );
  return { relative, folder, isRoot: folder.relative === '' };
}

/** The text of one file; a missing file is NOT_FOUND, a larger one than 5 MiB FILE_TOO_LARGE. */
export async function readWorkspaceFile(root: string, path: string): Promise<string> {
  const { relative } = confinePathText(root, path);
  const options = { root, path, segments: segmentsOf(relative) };
  // Non-blocking, so that a FIFO planted under the name cannot hold the open forever.
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await withEntry(options, (folder, name) =>
    open(entryPath(folder, name), flags),
  ).catch((error: NodeJS.ErrnoException) => {
    throw fileOpenError(error, path, 'read');
  });
  try {
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
  const { relative } = confinePathText(root, path);
  if (!relative)
    throw new CadreError('VALIDATION_FAILED', 'path: give a file path, not the workspace root.');
  if (Buffer.byteLength(content) > maxFileBytes) throw tooLarge(path);
  const options = { root, path, segments: segmentsOf(relative), createsFolders: true };
  await withEntry(options, (folder, name) => writeInFolder(folder, name, content)).catch(
    (error: NodeJS.ErrnoException) => {
      throw fileOpenError(error, path, 'write');
    },
  );
}

/** The atomic write of `name` in a held folder; every name is looked up in that folder only. */
async function writeInFolder(folder: HeldFolder, name: string, content: string) {
  const existing = await lstat(entryPath(folder, name)).catch(() => null);
  // A symlink is followed by withEntry (and must stay inside); a folder is refused.
  if (existing?.isSymbolicLink()) throw Object.assign(new Error(name), { code: 'ELOOP' });
  if (existing?.isDirectory()) throw Object.assign(new Error(name), { code: 'EISDIR' });
  await removeStalePartials(folder, name);
  // A fresh name, opened exclusively and without following links.
  const partial = entryPath(folder, `.${name}.${randomBytes(6).toString('hex')}${partialSuffix}`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(partial, flags, existing ? existing.mode & 0o777 : 0o644);
  try {
    await handle.write(content, 0, 'utf8');
    await handle.sync();
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  } finally {
    await handle.close();
  }
  await rename(partial, entryPath(folder, name)).catch(async (error: unknown) => {
    await unlink(partial).catch(() => undefined);
    throw error;
  });
  // Makes the rename durable.
  await folder.handle.sync().catch(() => undefined);
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

/** Removes temporary files an interrupted write of `name` left in `folder`. */
async function removeStalePartials(folder: HeldFolder, name: string) {
  const prefix = `.${name}.`;
  const names = await readdir(entryPath(folder, '.')).catch(() => [] as string[]);
  for (const found of names) {
    if (found.startsWith(prefix) && found.endsWith(partialSuffix)) {
      await unlink(entryPath(folder, found)).catch(() => undefined);
    }
  }
}

function segmentsOf(relative: string): string[] {
  return relative ? relative.split('/') : [];
}

function fileNotFound(path: string) {
  return new CadreError('NOT_FOUND', `No file "${path}" in the workspace.`, {
    details: { kind: 'file', path },
  });
}

function fileOpenError(error: NodeJS.ErrnoException, path: string, use: 'read' | 'write') {
  if (error instanceof CadreError) return error;
  if (error.code === 'ENOENT') return fileNotFound(path);
  if (error.code === 'ENOTDIR') {
    if (use === 'read') return fileNotFound(path);
    return new CadreError(
      'VALIDATION_FAILED',
      `path: a part of "${path}" is a file, not a folder.`,
    );
  }
  if (error.code === 'EISDIR')
    return new CadreError('VALIDATION_FAILED', `path: "${path}" is a folder, not a file.`);
  if (error.code === 'ENAMETOOLONG')
    return new CadreError('VALIDATION_FAILED', `path: a part of "${path}" is too long a name.`);
  if (error.code === 'ELOOP') {
    // Only when the last part was swapped for a symlink and back while it was followed.
    return new CadreError(
      'PATH_OUTSIDE_WORKSPACE',
      `path: "${path}" is a symlink; read or write its target instead.`,
      { details: { field: 'path', path, reason: 'symlink' } },
    );
  }
  return error;
}

function tooLarge(path: string) {
  return new CadreError(
    'FILE_TOO_LARGE',
    `path: "${path}" is larger than ${maxFileBytes} bytes; use a command in the sandbox for large files.`,
  );
}
