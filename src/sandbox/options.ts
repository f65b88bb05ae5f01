// Checks shared by every executor: the start folder and the environment a caller passes.
// A bad value is refused with a message naming it; nothing is started.
import { posix } from 'node:path';
import { CadreError } from '../errors/index.js';

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The environment every command starts with, before the caller's variables. */
export const baseEnv: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  TERM: 'xterm-256color',
};

/** `cwd` normalized relative to the workspace; `..` or an absolute path is refused. */
export function checkCwd(cwd: string | undefined): string {
  if (cwd === undefined || cwd === '' || cwd === '.') return '.';
  const normalized = posix.normalize(cwd);
  if (posix.isAbsolute(cwd) || normalized === '..' || normalized.startsWith('../')) {
    throw new CadreError(
      'PATH_OUTSIDE_WORKSPACE',
      `cwd: "${cwd}" leaves the workspace; give a folder relative to the workspace root.`,
      { details: { field: 'cwd', path: cwd } },
    );
  }
  return normalized;
}

/** The command's environment: base variables, then the caller's, each name checked. */
export function checkEnv(
  env: Readonly<Record<string, string>> | undefined,
  fixed: Readonly<Record<string, string>>,
): Record<string, string> {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!envName.test(name) || typeof value !== 'string' || value.includes('\0')) {
      throw new CadreError(
        'VALIDATION_FAILED',
        `env.${name}: names must match ${envName.source} and values must be strings without NUL.`,
      );
    }
  }
  return { ...baseEnv, ...env, ...fixed };
}

/** Refuses an empty argv or one with NUL bytes. */
export function checkArgv(argv: readonly string[]): void {
  if (argv.length === 0 || argv.some((arg) => typeof arg !== 'string' || arg.includes('\0'))) {
    throw new CadreError(
      'VALIDATION_FAILED',
      'argv: give the program and its arguments as a non-empty list of strings without NUL.',
    );
  }
}
