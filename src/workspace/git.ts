// Runs the real git binary with an argument list (never a shell string) and a configuration
// that content of a repository cannot change: no hooks, no fsmonitor, no system or user
// config, no prompts. It must never run git with a .git directory an agent could have written.
import { execFile } from 'node:child_process';
import { CadreError } from '../errors/index.js';

export interface GitOptions {
  args: readonly string[];
  /** The git directory; given explicitly so that a worktree's `.git` file is never trusted. */
  gitDir: string;
  workTree?: string;
  env?: Readonly<Record<string, string>>;
  /** Exit codes that are answers rather than failures (e.g. 1 for a merge conflict). */
  okExitCodes?: readonly number[];
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

// Settings that neutralize everything a repository's content or an agent could use to make
// Cadre run a program on the host.
const hardening = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'core.autocrlf=false',
  '-c',
  'core.symlinks=true',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'tag.gpgSign=false',
  '-c',
  'protocol.ext.allow=never',
  '-c',
  'init.defaultBranch=main',
];

const baseEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Cadre',
  GIT_AUTHOR_EMAIL: 'cadre@localhost',
  GIT_COMMITTER_NAME: 'Cadre',
  GIT_COMMITTER_EMAIL: 'cadre@localhost',
  LANG: 'C',
};

/** Runs git; a non-zero exit not listed in okExitCodes is GIT_FAILED with git's message. */
export function runGit(options: GitOptions): Promise<GitResult> {
  const args = [...hardening, `--git-dir=${options.gitDir}`];
  if (options.workTree) args.push(`--work-tree=${options.workTree}`);
  args.push(...options.args);
  return runGitRaw(args, options);
}

/** Runs git without a repository (clone, init); the same hardening applies. */
export function runGitRaw(
  args: readonly string[],
  options: Pick<GitOptions, 'env' | 'okExitCodes' | 'timeoutMs' | 'workTree'>,
): Promise<GitResult> {
  const fullArgs = args[0] === '-c' ? [...args] : [...hardening, ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      fullArgs,
      {
        env: { ...baseEnv, ...options.env },
        cwd: options.workTree ?? '/',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const command = args
          .filter((arg) => !arg.startsWith('-c') && !arg.includes('='))
          .slice(0, 2);
        reject(
          new CadreError(
            'GIT_FAILED',
            `git ${command.join(' ')} failed: ${stderr.trim() || error?.message}`,
            {
              cause: error,
              details: { args: args.slice(0, 4), exitCode },
            },
          ),
        );
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(); // git must never wait for input (mktree, prompts)
  });
}
