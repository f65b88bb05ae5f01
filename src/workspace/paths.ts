// Path confinement: turns a path given by a user or an agent into a path inside a workspace,
// or refuses it. It must never let `..`, an absolute path, the .git folder or a symlink
// lead outside the workspace.
import { lstat, realpath } from 'node:fs/promises';
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

/** Like confinePathText, then checks that no existing part of the path is a symlink leading out. */
export async function confinePath(root: string, path: string): Promise<ConfinedPath> {
  const confined = confinePathText(root, path);
  const realRoot = await realpath(root);
  const segments = confined.relative ? confined.relative.split('/') : [];
  let current = root;
  for (const segment of segments) {
    current = posix.join(current, segment);
    let stat;
    try {
      stat = await lstat(current);
    } catch {
      break; // the rest does not exist yet: nothing there can lead out
    }
    if (stat.isSymbolicLink()) {
      const target = await realpath(current).catch(() => null);
      if (target === null || !isInside(realRoot, target)) {
        throw new CadreError(
          'PATH_OUTSIDE_WORKSPACE',
          `path: "${path}" goes through the symlink "${posix.relative(root, current)}", which leads outside the workspace.`,
          { details: { field: 'path', path, reason: 'symlink leads outside' } },
        );
      }
    }
  }
  return confined;
}

/** Whether `path` is `root` or below it (both real paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
