// The real `cadre` command end to end: `cadre up` on a fresh data directory with the
// embedded Postgres, the resource commands against it, stop on SIGTERM, and restart.
import { chown, readFile, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { createEmptyDatabaseUrl } from '../helpers/database.js';
import {
  assertBuilt,
  cliEnv,
  killStarted,
  makeTempDir,
  removeTempDirs,
  repositoryRoot,
  runCli,
  startCadre,
  stopCadre,
  type Started,
} from './cli-process.js';

/** The pids of Postgres processes whose command line mentions `dataDir`. */
async function postgresProcessesOf(dataDir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes('postgres') && commandLine.includes(dataDir))
      found.push(Number(entry));
  }
  return found;
}

/** The pids of processes (Cadre or its Postgres) whose command line or environment names `dataDir`. */
async function processesUsing(dataDir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const environment = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (commandLine.includes(dataDir) || environment.includes(`CADRE_DATA_DIR=${dataDir}`)) {
      found.push(Number(entry));
    }
  }
  return found;
}

/** Polls `condition` until it holds or the deadline passes. */
async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

beforeAll(() => assertBuilt());
afterAll(async () => {
  killStarted();
  await removeTempDirs();
});

describe('cadre up', () => {
  let dataDir: string;
  let server: Started;
  let adminKey: string;
  const env = () => cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' });
  const clientEnv = (extra: Record<string, string> = {}) =>
    cliEnv({ CADRE_URL: server.url, CADRE_DATA_DIR: dataDir, ...extra });

  beforeAll(async () => {
    dataDir = await makeTempDir('cadre-e2e-');
    server = await startCadre(env());
  });

  it('serves /healthz on the port it printed, with port 0 meaning a free port', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"');
  });

  it('prints the admin key once and writes it to a file only its owner can read', async () => {
    const keyFile = join(dataDir, 'admin-api-key');
    adminKey = (await readFile(keyFile, 'utf8')).trim();
    expect(adminKey).toMatch(/^cadre_[0-9A-Za-z]{40}$/);
    expect(((await stat(keyFile)).mode & 0o777).toString(8)).toBe('600');
    expect(server.output().split(adminKey)).toHaveLength(2);
    expect(server.output()).toContain(keyFile);
  });

  it('creates and lists projects and tasks through the CLI', async () => {
    // The key comes from the data directory's key file.
    const created = await runCli(['project', 'create', 'shop', '--description', 'A web shop'], {
      env: clientEnv(),
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created project shop \([0-9a-f-]{36}\)/);

    const withKey = clientEnv({ CADRE_API_KEY: adminKey });
    const list = await runCli(['project', 'list'], { env: withKey });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^ID\s+NAME\s+REMOTE\s+DELIVERY\s+CONFIDENTIAL\s+CREATED\n.*\bshop\b/,
    );

    const task = await runCli(
      ['task', 'create', 'Add a cart\nwith totals', '--project', 'shop', '--json'],
      { env: withKey },
    );
    expect(task.code).toBe(0);
    const createdTask = JSON.parse(task.stdout) as { id: string; title: string; status: string };
    expect(createdTask).toMatchObject({ title: 'Add a cart', status: 'queued' });

    const tasks = await runCli(['task', 'list', '--project', 'shop'], { env: withKey });
    expect(tasks.code).toBe(0);
    expect(tasks.stdout).toContain(createdTask.id);
    expect(tasks.stdout).toContain('Add a cart');

    // No model is configured here: the planner's step fails and the task says how to add one.
    const shown = await waitFor('the task to fail for want of a model', async () => {
      const result = await runCli(['task', 'show', createdTask.id], { env: withKey });
      return result.stdout.includes('status    failed') ? result : null;
    });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`id        ${createdTask.id}`);
    expect(shown.stdout).toContain('No model is configured');
    expect(shown.stdout).toContain('ANTHROPIC_API_KEY');
    expect(shown.stdout).toContain('with totals');
    expect(shown.stdout).toContain('Result: not delivered yet');

    const missing = await runCli(['task', 'create', 'x', '--project', 'nope'], { env: withKey });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No project named "nope"');
  });

  it("sets and clears a project's test command through the CLI", async () => {
    const withKey = clientEnv({ CADRE_API_KEY: adminKey });
    const set = await runCli(
      ['project', 'update', 'shop', '--test-command', 'make check', '--allow-untested-merge'],
      { env: withKey },
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('tests run with make check');
    expect(set.stdout).toContain('merges without a test command are allowed');

    const cleared = await runCli(
      ['project', 'update', 'shop', '--detect-test-command', '--no-allow-untested-merge', '--json'],
      { env: withKey },
    );
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({
      name: 'shop',
      testCommand: null,
      allowUntestedMerge: false,
    });

    const both = await runCli(
      ['project', 'update', 'shop', '--test-command', 'x', '--detect-test-command'],
      { env: withKey },
    );
    expect(both.code).toBe(2);
    const nothing = await runCli(['project', 'update', 'shop'], { env: withKey });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('Nothing to change');
  });

  it('exits 4 with a clear message for a wrong key', async () => {
    const result = await runCli(['project', 'list'], {
      env: clientEnv({ CADRE_API_KEY: 'cadre_wrongwrongwrongwrongwrongwrongwrongwron' }),
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('The API key or session is not valid');
    expect(result.stderr).toContain('CADRE_API_KEY');
    expect(result.stdout).toBe('');
  });

  it('exits 3 with a clear message when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(['project', 'list'], {
      env: cliEnv({ CADRE_URL: url, CADRE_API_KEY: adminKey }),
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`Cannot reach Cadre at ${url}`);
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('answers --help for every command', async () => {
    for (const args of [['--help'], ['up', '--help'], ['task', 'create', '--help']]) {
      const result = await runCli(args, { env: cliEnv() });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: cadre/);
    }
  });

  it('stops on SIGTERM with exit code 0, taking its Postgres with it', async () => {
    expect(await postgresProcessesOf(dataDir)).not.toEqual([]);
    expect(await stopCadre(server)).toBe(0);
    expect(await eventually(async () => (await postgresProcessesOf(dataDir)).length === 0)).toBe(
      true,
    );
  });

  it('keeps its data across a restart and prints no new key', async () => {
    const again = await startCadre(env());
    try {
      expect(again.output()).not.toMatch(/cadre_[0-9A-Za-z]{40}/);
      expect(again.output()).toContain(`Admin key in ${join(dataDir, 'admin-api-key')}`);
      expect((await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim()).toBe(adminKey);
      const response = await fetch(`${again.url}/api/projects`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(response.status).toBe(200);
      const { items } = (await response.json()) as { items: { name: string }[] };
      expect(items.map((project) => project.name)).toEqual(['shop']);
    } finally {
      // Ctrl+C stops it as cleanly as SIGTERM.
      expect(await stopCadre(again, 'SIGINT')).toBe(0);
    }
    expect(await eventually(async () => (await postgresProcessesOf(dataDir)).length === 0)).toBe(
      true,
    );
  });
});

describe('cadre up after a crash', () => {
  it('takes its Postgres down when killed, and starts again on the same data', async () => {
    const dataDir = await makeTempDir('cadre-e2e-crash-');
    const env = cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' });
    const first = await startCadre(env);
    expect(await postgresProcessesOf(dataDir)).not.toEqual([]);
    expect(await stopCadre(first, 'SIGKILL')).toBeNull();
    expect(await eventually(async () => (await postgresProcessesOf(dataDir)).length === 0)).toBe(
      true,
    );

    const second = await startCadre(env);
    try {
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await stopCadre(second)).toBe(0);
    }
  });
});

describe('npm start', () => {
  it('runs cadre up, and SIGTERM to npm stops Cadre and its Postgres', async () => {
    const pkg = JSON.parse(await readFile(join(repositoryRoot, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toMatch(/node bin\/cadre\.js up$/);
    const dataDir = await makeTempDir('cadre-e2e-npm-');
    const started = await startCadre(cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' }), {
      isNpmStart: true,
    });
    try {
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      // A process manager signals npm, not Cadre: Cadre must not outlive it.
      expect(await stopCadre(started)).toBe(0);
      expect(await eventually(async () => (await processesUsing(dataDir)).length === 0)).toBe(true);
    } finally {
      for (const pid of await processesUsing(dataDir)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('cadre up and cadre migrate with DATABASE_URL', () => {
  it.each([['migrate'], ['up']])(
    '`cadre %s` exits 3 with one clear message when the database cannot be reached',
    async (command) => {
      const url = `postgres://cadre:hunter2@127.0.0.1:${await closedPort()}/cadre`;
      const dataDir = await makeTempDir('cadre-e2e-nodb-');
      const result = await runCli([command], {
        env: cliEnv({ DATABASE_URL: url, CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' }),
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(
        /^cadre: Cannot connect to DATABASE_URL \(postgres:\/\/cadre:\[redacted\]@/,
      );
      expect(result.stderr).toContain('ECONNREFUSED');
      expect(result.stderr).not.toContain('hunter2');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('migrate prepares an empty external database, and up runs on it without embedded Postgres', async () => {
    const url = await createEmptyDatabaseUrl();
    const migrated = await runCli(['migrate'], { env: cliEnv({ DATABASE_URL: url }) });
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('The database schema is up to date.');

    const dataDir = await makeTempDir('cadre-e2e-external-');
    const started = await startCadre(
      cliEnv({ DATABASE_URL: url, CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' }),
    );
    try {
      expect(started.output()).toContain('Database  external Postgres (DATABASE_URL)');
      expect(await postgresProcessesOf(dataDir)).toEqual([]);
      expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await stopCadre(started)).toBe(0);
    }
  });
});

describe('cadre up as an ordinary user', () => {
  // As root, run it as nobody; otherwise the tests already run as an ordinary user.
  const isRoot = process.getuid?.() === 0;
  const uid = process.getuid?.() ?? 0;

  it('starts, serves /healthz and stops', async () => {
    const dataDir = await makeTempDir('cadre-e2e-user-');
    if (isRoot) await chown(dataDir, 65534, 65534);
    const wrapper = isRoot
      ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']
      : [];
    const readable = await runCli(['--version'], { env: cliEnv({ HOME: dataDir }), wrapper });
    expect(readable.stderr, 'the repository must be readable by nobody').toBe('');

    const started = await startCadre(
      cliEnv({ HOME: dataDir, CADRE_DATA_DIR: dataDir, CADRE_PORT: '0' }),
      { wrapper },
    );
    try {
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
      const keyFile = await stat(join(dataDir, 'admin-api-key'));
      expect(keyFile.uid).toBe(isRoot ? 65534 : uid);
      expect((keyFile.mode & 0o777).toString(8)).toBe('600');
    } finally {
      expect(await stopCadre(started)).toBe(0);
    }
    expect(await eventually(async () => (await postgresProcessesOf(dataDir)).length === 0)).toBe(
      true,
    );
  });
});
