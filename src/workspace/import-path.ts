// Checks a server folder before Cadre imports it: it must lie, after resolving every symlink
// and "..", inside a folder the instance admin listed, never inside Cadre's data folder, and
// hold a plain repository that borrows nothing from elsewhere. Errors never name server paths.
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CadreError } from '../errors/index.js';

export interface ImportPathOptions {
  path: string;
  /** The folders an instance admin allows imports from (CADRE_IMPORT_ROOTS). */
  roots: readonly string[];
  /** Cadre's data folder, which is never imported from. */
  dataDir: string;
}

/** Thrown when no readable repository is there; answered with the uniform import error. */
export class UnreadableRepository extends Error {}

/** The real git directory to clone from, or a CadreError the caller can act on. */
export async function resolveImportPath({
  path,
  roots,
  dataDir,
}: ImportPathOptions): Promise<string> {
  if (!isAbsolute(path)) {
    throw new CadreError(
      'VALIDATION_FAILED',
      'source.path: expected an absolute path on the server.',
      {
        details: [{ field: 'source.path', message: 'expected an absolute path' }],
      },
    );
  }
  if (roots.length === 0) {
    throw pathRefused(
      'importing a server folder is turned off on this instance. An instance admin turns it on by listing the folders imports may come from in CADRE_IMPORT_ROOTS (imports.roots).',
    );
  }
  const realRoots = (
    await Promise.all(roots.map((root) => realpath(root).catch(() => null)))
  ).filter((root): root is string => root !== null);
  const realDataDir = await realpath(dataDir).catch(() => resolve(dataDir));
  const real = await realpath(path).catch(() => null);
  // A path that does not exist is judged by where its existing part really is, so that the
  // answer tells nothing about what exists outside the roots.
  const candidate = real ?? (await resolveExistingPart(resolve(path)));
  const isAllowed =
    !isInside(realDataDir, candidate) && realRoots.some((root) => isInside(root, candidate));
  if (!isAllowed) {
    // One answer for the data folder and for any other folder, so that it confirms neither.
    throw pathRefused(
      "the path, once its symlinks and '..' are resolved, is not inside a folder this instance allows imports from (CADRE_IMPORT_ROOTS; ask an instance admin which). Cadre's own data folder never is.",
    );
  }
  if (real === null) throw new UnreadableRepository('nothing is there');
  return plainGitDir(real);
}

/** The real path of the deepest existing folder above `path`, joined with the rest. */
async function resolveExistingPart(path: string): Promise<string> {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    const real = await realpath(current).catch(() => null);
    if (real !== null) return join(real, ...rest.reverse());
    const parent = dirname(current);
    if (parent === current) return path;
    rest.push(basename(current));
    current = parent;
  }
}

/** Whether `path` is `folder` or lies inside it (both already resolved). */
function isInside(folder: string, path: string): boolean {
  const relation = relative(folder, path);
  return (
    relation === '' ||
    (!relation.startsWith(`..${sep}`) && relation !== '..' && !isAbsolute(relation))
  );
}

// A repository Cadre copies must be self-contained: a `.git` file or symlink, alternates, a
// linked worktree's commondir or any symlink inside could lead git to another repository.
async function plainGitDir(folder: string): Promise<string> {
  const dotGit = await lstat(join(folder, '.git')).catch(() => null);
  if (dotGit && !dotGit.isDirectory()) {
    throw new UnreadableRepository('.git is not a folder');
  }
  const gitDir = dotGit ? join(folder, '.git') : folder;
  const head = await lstat(join(gitDir, 'HEAD')).catch(() => null);
  const objects = await lstat(join(gitDir, 'objects')).catch(() => null);
  if (!head?.isFile() || !objects?.isDirectory())
    throw new UnreadableRepository('not a repository');
  for (const borrowed of ['commondir', join('objects', 'info', 'alternates')]) {
    if (await lstat(join(gitDir, borrowed)).catch(() => null)) {
      throw new UnreadableRepository(`the repository has ${borrowed}`);
    }
  }
  const entries: Dirent[] = await readdir(gitDir, { recursive: true, withFileTypes: true });
  if (entries.some((entry) => entry.isSymbolicLink())) {
    throw new UnreadableRepository('the repository holds a symlink');
  }
  return gitDir;
}

function pathRefused(reason: string): CadreError {
  return new CadreError('WORKSPACE_IMPORT_PATH_REFUSED', `source.path: ${reason}`, {
    details: { field: 'source.path' },
  });
}
