// Runs the real, built `cadre` command in a child process, with an environment of our own
// choosing: nothing of the caller's CADRE_* or DATABASE_URL leaks in.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cadreBin = fileURLToPath(new URL('../../bin/cadre.js', import.meta.url));
const builtCli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Fails with a clear message when the CLI has not been built. */
export function assertBuilt(): void {
  if (!existsSync(builtCli)) {
    throw new Error(`The CLI is not built (${builtCli} is missing): run \`npm run build\` first.`);
  }
}

/** A minimal environment: PATH, HOME and the given variables. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A command (and its arguments) to run node through, e.g. setpriv as another user. */
  wrapper?: string[];
}

/** Runs `cadre <args>` to its end. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `cadre <args>` and returns the child; the caller stops it. */
export function spawnCli(args: string[], options: RunCliOptions = {}): ChildProcess {
  const { env = cliEnv(), cwd = repositoryRoot, wrapper = [] } = options;
  const [file, ...rest] = [...wrapper, process.execPath, cadreBin, ...args];
  return spawn(file!, rest, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** Kills whatever startCadre started and is still running; for afterAll. */
export function killStarted(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface StartOptions {
  /** A command (and its arguments) to run node through, e.g. setpriv as another user. */
  wrapper?: string[];
  /** Start it as a user does from a clone: `npm start` in the repository. */
  isNpmStart?: boolean;
}

/** Runs `cadre up` and resolves once it prints where it runs. */
export function startCadre(
  env: NodeJS.ProcessEnv,
  { wrapper = [], isNpmStart = false }: StartOptions = {},
): Promise<Started> {
  const child = isNpmStart
    ? spawn('npm', ['start'], { env, cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawnCli(['up'], { env, wrapper });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cadre up printed no URL within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /is running at (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => stdout, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cadre up exited with ${code} before it was ready:\n${stdout}\n${stderr}`));
    });
  });
}

/** Sends SIGTERM (or `signal`) and resolves with the exit code. */
export async function stopCadre(
  started: Started,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  started.child.kill(signal);
  return started.exited;
}

const tempDirs: string[] = [];

/** A new folder under the system's temporary folder, removed by removeTempDirs(). */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder makeTempDir() made; for afterAll, once the processes have stopped. */
export async function removeTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
}
