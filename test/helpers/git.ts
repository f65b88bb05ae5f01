// git on the host as a person runs it, for tests that prepare repositories to import, fetch
// from or push to: no system or global configuration, and a fixed identity.
import { execFileSync } from 'node:child_process';

/** Runs git in `cwd` and returns its output, trimmed; throws when git fails. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}
