// Runs the real git binary with an argument list (never a shell string) and a closed
// configuration: only `-c` settings given here, the repository's own config checked against
// the keys Cadre writes, and an environment built from nothing. It must never let content of a
// worktree (attributes, a planted .git, a nested repository) choose a program for git to run.
import { execFile, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CadreError } from '../errors/index.js';
import { checkRepositoryConfig } from './git-config.js';

/** The environment variables a caller may set for one git command; every other is Cadre's. */
export interface GitEnv {
  GIT_INDEX_FILE?: string;
  GIT_AUTHOR_DATE?: string;
  GIT_COMMITTER_DATE?: string;
}

export interface GitOptions {
  args: readonly string[];
  /** The git directory; given explicitly so that a worktree's `.git` file is never trusted. */
  gitDir: string;
  workTree?: string;
  env?: Readonly<GitEnv>;
  /** Exit codes that are answers rather than failures (e.g. 1 for a merge conflict). */
  okExitCodes?: readonly number[];
  timeoutMs?: number;
  /** Written to git's standard input (cat-file --batch); without it stdin is closed at once. */
  input?: string;
  /** latin1 keeps one character per byte, for output that gives sizes in bytes. */
  encoding?: 'utf8' | 'latin1';
  /**
   * Settings that hold a secret (an Authorization header): given through git's
   * GIT_CONFIG_COUNT environment, which only this user can read, never through argv, which
   * every user can read in /proc. Only the keys in `privateConfigKeys` are accepted.
   */
  privateConfig?: ReadonlyArray<readonly [string, string]>;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Settings given on the command line, the one config source a repository cannot touch; they
 * take precedence over the repository's config and reach every git process git itself starts.
 * Together they turn off everything a repository's content could use to start a program:
 * hooks, fsmonitor, pagers, editors, askpass, credential helpers, gpg, automatic gc and
 * maintenance, and any recursion into submodules (whose own config host git must not read).
 */
const hardening = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.pager=cat',
  'core.editor=:',
  'sequence.editor=:',
  'core.askPass=',
  'credential.helper=',
  'core.attributesFile=/dev/null',
  'core.excludesFile=/dev/null',
  'core.quotePath=false',
  'core.autocrlf=false',
  'core.symlinks=true',
  'core.protectNTFS=true',
  'core.protectHFS=true',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'diff.submodule=short',
  'status.submoduleSummary=false',
  'protocol.ext.allow=never',
  'init.defaultBranch=main',
].flatMap((setting) => ['-c', setting]);

// Built from nothing: no GIT_* variable of Cadre's own environment (GIT_DIR, GIT_CONFIG_*,
// GIT_EXTERNAL_DIFF, GIT_PAGER, GIT_SSH_COMMAND, GIT_ASKPASS…) ever reaches git.
const baseEnv = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_SYSTEM: '/dev/null',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  // Empty, not absent: git then asks no program at all (an absent one falls back to config).
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_EDITOR: ':',
  GIT_NO_REPLACE_OBJECTS: '1',
  GIT_AUTHOR_NAME: 'Cadre',
  GIT_AUTHOR_EMAIL: 'cadre@localhost',
  GIT_COMMITTER_NAME: 'Cadre',
  GIT_COMMITTER_EMAIL: 'cadre@localhost',
  LANG: 'C',
};

/** Diff options that keep git from running a textconv or external diff program. */
export const noDrivers = ['--no-ext-diff', '--no-textconv'] as const;

const allowedEnv = new Set<string>(['GIT_INDEX_FILE', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_DATE']);

// A secret setting can only add a header to the request; it cannot name a program to run.
const privateConfigKeys = new Set<string>(['http.extraheader']);

/**
 * Runs git in a repository; a non-zero exit not listed in okExitCodes is GIT_FAILED with git's
 * message, and a repository config holding a key Cadre does not write is GIT_CONFIG_UNTRUSTED.
 */
export async function runGit(options: GitOptions): Promise<GitResult> {
  await checkRepositoryConfig(options.gitDir, runGitRaw);
  const args = [`--git-dir=${options.gitDir}`];
  if (options.workTree) args.push(`--work-tree=${options.workTree}`);
  args.push(...options.args);
  return runGitRaw(args, options);
}

/** Runs git without a repository (clone, init, reading one config file); the same hardening applies. */
export function runGitRaw(
  args: readonly string[],
  options: Omit<GitOptions, 'args' | 'gitDir'>,
): Promise<GitResult> {
  const env: Record<string, string> = { ...baseEnv };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!allowedEnv.has(name)) throw new Error(`git: the variable ${name} may not be set`);
    if (value !== undefined) env[name] = value;
  }
  const privateConfig = options.privateConfig ?? [];
  privateConfig.forEach(([key, value], index) => {
    if (!privateConfigKeys.has(key.toLowerCase())) {
      throw new Error(`git: the setting ${key} may not be given privately`);
    }
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  if (privateConfig.length > 0) env.GIT_CONFIG_COUNT = String(privateConfig.length);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...hardening, ...args],
      {
        env,
        cwd: options.workTree ?? '/',
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: options.encoding ?? 'utf8',
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const command = args.filter((arg) => !arg.startsWith('-') && !arg.includes('='));
        reject(
          new CadreError(
            'GIT_FAILED',
            `git ${command.slice(0, 2).join(' ')} failed: ${stderr.trim() || error?.message}`,
            {
              cause: error,
              details: { args: args.slice(0, 4), exitCode },
            },
          ),
        );
      },
    );
    child.stdin?.on('error', () => undefined);
    // git must never wait for input it was not given (mktree, prompts).
    child.stdin?.end(options.input ?? '');
  });
}

/**
 * The CGI variables of one `git http-backend` request, all set by Cadre (never copied from the
 * request as they came): the repository root, the fixed path and query of the service.
 */
export interface GitCgiEnv {
  /** The one repository served, as an absolute path. */
  GIT_PROJECT_ROOT: string;
  REQUEST_METHOD: 'GET' | 'POST';
  PATH_INFO: '/info/refs' | '/git-upload-pack';
  QUERY_STRING: '' | 'service=git-upload-pack';
  CONTENT_TYPE?: string;
  /** "gzip" when the client compressed its request; git-http-backend inflates it. */
  HTTP_CONTENT_ENCODING?: 'gzip';
  /** The client's Git-Protocol header ("version=2"), checked by the caller. */
  HTTP_GIT_PROTOCOL?: string;
  REMOTE_ADDR?: string;
}

export interface GitSpawnOptions {
  args: readonly string[];
  /** The repository, checked like runGit's; passed as --git-dir unless `cgi` names it. */
  gitDir: string;
  /** For `git http-backend`: its CGI environment, GIT_PROJECT_ROOT naming the repository. */
  cgi?: Readonly<GitCgiEnv>;
  /** The process is killed when it runs longer. */
  timeoutMs: number;
}

/** A git process whose standard streams the caller reads and writes. */
export interface GitProcess {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when git exits: its exit code (null when killed) and the end of its stderr. */
  exited: Promise<{ exitCode: number | null; stderr: string; isTimedOut: boolean }>;
  /** Ends git and every process it started; safe to call after it exited. */
  kill(): void;
  /** How long git may run before it is killed. */
  timeoutMs: number;
}

// Served read-only: no push over HTTP even if the route were bypassed, no dumb-protocol file
// access, and Cadre's internal refs (a task's pre-merge base) never advertised.
const httpBackendHardening = [
  'http.receivepack=false',
  'http.getanyfile=false',
  'http.uploadpack=true',
  'uploadpack.hideRefs=refs/cadre/',
].flatMap((setting) => ['-c', setting]);

/**
 * Starts git with the same closed configuration as runGit, its output left to stream (bundles,
 * patches, `git http-backend`): the caller reads stdout and must kill it when its reader goes.
 */
export async function spawnGit(options: GitSpawnOptions): Promise<GitProcess> {
  await checkRepositoryConfig(options.gitDir, runGitRaw);
  const args = options.cgi
    ? [...hardening, ...httpBackendHardening, ...options.args]
    : [...hardening, `--git-dir=${options.gitDir}`, ...options.args];
  const env: Record<string, string> = { ...baseEnv, ...definedOnly(options.cgi ?? {}) };
  if (options.cgi) env.GIT_HTTP_EXPORT_ALL = '1';
  // A process group of its own, so that a kill also ends the upload-pack and pack-objects
  // processes git started.
  const child = spawn('git', args, { env, cwd: '/', stdio: 'pipe', detached: true });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  child.stdin.on('error', () => undefined);
  let isTimedOut = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const timer = setTimeout(() => {
    isTimedOut = true;
    kill();
  }, options.timeoutMs);
  const exited = new Promise<{ exitCode: number | null; stderr: string; isTimedOut: boolean }>(
    (resolve) => {
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ exitCode: null, stderr: error.message, isTimedOut });
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve({ exitCode, stderr: stderr.trim(), isTimedOut });
      });
    },
  );
  return { stdin: child.stdin, stdout: child.stdout, exited, kill, timeoutMs: options.timeoutMs };
}

function definedOnly(values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
