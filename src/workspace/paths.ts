// Path confinement by text: turns a path given by a user or an agent into a path inside a
// workspace, or refuses it. It must never let `..`, an absolute path or the .git folder
// through; symlinks are met while walking the path (confined-fs.ts), never checked ahead.
import { posix, sep } from 'node:path';
import { CadreError } from '../errors/index.js';

/** A path inside a workspace, relative and absolute. */
export interface ConfinedPath {
  relative: string;
  absolute: string;
}

/** Checks `path` (relative to `root`) by its text: no `..`, not absolute, not inside .git. */
export function confinePathText(root: string, path: string): ConfinedPath {
  const refuse = (reason: string) =>
    new CadreError(
      'PATH_OUTSIDE_WORKSPACE',
      `path: "${path}" ${reason}; give a path relative to the workspace root.`,
      {
        details: { field: 'path', path, reason },
      },
    );
  if (typeof path !== 'string' || path.includes('\0')) throw refuse('contains a NUL byte');
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\')) {
    throw refuse('is absolute');
  }
  const segments = path.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw refuse('contains ".."');
  if (segments[0]?.toLowerCase() === '.git') throw refuse("is inside git's own folder");
  const relative = segments.join('/');
  return { relative, absolute: relative ? posix.join(root, relative) : root };
}

/** Whether `path` is `root` or below it (both real paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
