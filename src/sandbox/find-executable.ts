// Finds a program on this machine by name, in the standard system folders and the PATH.
// It only looks; it never runs what it finds.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const standardPath = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** Where to look; tests narrow it to prove what happens when a program is missing. */
export interface SearchOptions {
  searchPath?: string;
  systemPath?: readonly string[];
}

/** The absolute path of the executable `name`, or null when none is installed. */
export function findExecutable(name: string, options: SearchOptions = {}): string | null {
  const { searchPath = process.env.PATH ?? '', systemPath = standardPath } = options;
  const dirs = [...systemPath, ...searchPath.split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}
