import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, redactSecrets } from '../../src/config/index.js';
import { CadreError } from '../../src/errors/index.js';
import { assertBuilt, cliEnv, makeTempDir, removeTempDirs, runCli } from '../e2e/cli-process.js';

let emptyDir: string;
beforeAll(async () => {
  emptyDir = await makeTempDir('cadre-config-');
});
afterAll(() => removeTempDirs());

/** The CadreError that loading throws. */
function loadError(env: NodeJS.ProcessEnv, cwd = emptyDir): CadreError {
  try {
    loadConfig({ env, cwd });
  } catch (error) {
    if (error instanceof CadreError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

async function folderWith(name: string, text: string): Promise<string> {
  const dir = await makeTempDir('cadre-config-');
  await writeFile(join(dir, name), text);
  return dir;
}

describe('configuration from the environment', () => {
  it('uses the defaults when nothing is set', () => {
    const { config, file } = loadConfig({ env: {}, cwd: emptyDir });
    expect(file).toBeUndefined();
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4100 });
    expect(config.database.url).toBeUndefined();
  });

  it.each([
    ['CADRE_PORT', 'abc', 'server.port', /expected number/],
    ['CADRE_PORT', '70000', 'server.port', /65535/],
    ['CADRE_LOG_LEVEL', 'loud', 'log.level', /"info"/],
    ['DATABASE_URL', 'mysql://x', 'database.url', /postgres:\/\//],
    ['CADRE_SANDBOX_EXECUTOR', 'docker', 'sandbox.executor', /"bubblewrap"/],
    ['CADRE_SANDBOX_HOST_UID', '0', 'sandbox.hostUid', />=1/],
    ['CADRE_IMPORT_ROOTS', 'srv/repos', 'imports.roots.0', /absolute path/],
    ['CADRE_IMPORT_ALLOW_HOSTS', '10.0.0.0/33', 'imports.allowHosts.0', /CIDR block/],
  ])('rejects %s=%s naming %s and the expected value', (env, value, key, expected) => {
    const error = loadError({ [env]: value });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`${key} (from ${env})`);
    expect(error.message).toMatch(expected);
    expect(error.details).toEqual([expect.objectContaining({ key, source: env })]);
  });

  it('reads the import settings as comma-separated lists, empty by default', () => {
    expect(loadConfig({ env: {}, cwd: emptyDir }).config.imports).toEqual({
      roots: [],
      allowHosts: [],
    });
    const { config } = loadConfig({
      env: {
        CADRE_IMPORT_ROOTS: '/srv/repos, /home/git/mirrors,',
        CADRE_IMPORT_ALLOW_HOSTS: 'git.internal,10.20.0.0/16,::1',
      },
      cwd: emptyDir,
    });
    expect(config.imports).toEqual({
      roots: ['/srv/repos', '/home/git/mirrors'],
      allowHosts: ['git.internal', '10.20.0.0/16', '::1'],
    });
  });

  it('reads numbers and booleans from their strings', () => {
    const { config } = loadConfig({
      env: { CADRE_PORT: '5001', CADRE_UNSAFE_HOST_EXEC: 'yes', OPENAI_API_KEY: 'sk-1' },
      cwd: emptyDir,
    });
    expect(config.server.port).toBe(5001);
    expect(config.sandbox.unsafeHostExec).toBe(true);
    expect(config.providers.openai.apiKey).toBe('sk-1');
  });

  it('reads the allowed browser origins as a comma-separated list of origins', () => {
    const { config } = loadConfig({
      env: { CADRE_ALLOWED_ORIGINS: ' https://cadre.example.com, http://localhost:5173 ,' },
      cwd: emptyDir,
    });
    expect(config.server.allowedOrigins).toEqual([
      'https://cadre.example.com',
      'http://localhost:5173',
    ]);
    for (const value of ['https://cadre.example.com/app', 'ftp://cadre.example.com', 'cadre']) {
      const error = loadError({ CADRE_ALLOWED_ORIGINS: value });
      expect(error.code, value).toBe('CONFIG_INVALID');
      expect(error.message, value).toContain('server.allowedOrigins');
    }
  });

  it('reads the public URL, trailing slashes dropped, and refuses one with credentials', () => {
    const { config } = loadConfig({
      env: { CADRE_PUBLIC_URL: 'https://cadre.example.com/team/' },
      cwd: emptyDir,
    });
    expect(config.server.publicUrl).toBe('https://cadre.example.com/team');
    for (const value of ['https://user:pw@cadre.example.com', 'ftp://cadre.example.com', 'cadre']) {
      const error = loadError({ CADRE_PUBLIC_URL: value });
      expect(error.code, value).toBe('CONFIG_INVALID');
      expect(error.message, value).toContain('server.publicUrl');
    }
  });
});

describe('configuration from a file', () => {
  it('reads cadre.config.yaml, and environment variables override it', async () => {
    const cwd = await folderWith(
      'cadre.config.yaml',
      'server:\n  port: 5000\nlog:\n  level: warn\n',
    );
    const fromFile = loadConfig({ env: {}, cwd });
    expect(fromFile.file).toBe(join(cwd, 'cadre.config.yaml'));
    expect(fromFile.config.server.port).toBe(5000);
    const overridden = loadConfig({ env: { CADRE_PORT: '6000' }, cwd });
    expect(overridden.config.server.port).toBe(6000);
    expect(overridden.config.log.level).toBe('warn');
  });

  it('names the file and the unknown key', async () => {
    const cwd = await folderWith('cadre.config.json', JSON.stringify({ server: { prot: 1 } }));
    const error = loadError({}, cwd);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(join(cwd, 'cadre.config.json'));
    expect(error.message).toContain('prot');
  });

  it('names the file, the key and the expected type for a wrong type', async () => {
    const cwd = await folderWith('cadre.config.yaml', 'server:\n  port: "high"\n');
    const error = loadError({}, cwd);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(`server.port (from ${join(cwd, 'cadre.config.yaml')})`);
    expect(error.message).toMatch(/expected number/);
  });

  it.each([
    ['cadre.config.json', '{ "server": { "port": 1, }'],
    ['cadre.config.yaml', 'server:\n  port: [1\n'],
  ])('rejects an unparsable %s naming it', async (name, text) => {
    const cwd = await folderWith(name, text);
    const error = loadError({}, cwd);
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain(join(cwd, name));
  });

  it('names a missing CADRE_CONFIG file', () => {
    const error = loadError({ CADRE_CONFIG: 'nowhere.yaml' });
    expect(error.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(error.message).toContain(join(emptyDir, 'nowhere.yaml'));
  });
});

describe('redactSecrets', () => {
  it('hides API keys, passwords and the passwords inside URLs, and keeps the rest', () => {
    const redacted = redactSecrets({
      providers: { openai: { apiKey: 'sk-secret-1' }, ollama: { host: 'http://localhost:11434' } },
      database: { url: 'postgres://cadre:hunter2@db.example:5432/cadre', poolSize: 10 },
      rabbitmq: { url: 'amqp://guest:p@ss/word@mq:5672' },
      redis: { url: 'redis://:s3cret@cache:6379' },
      nested: [{ token: 'abc' }, { password: 'pw' }],
    });
    const text = JSON.stringify(redacted);
    for (const secret of ['sk-secret-1', 'hunter2', 'p@ss', 'word@', 's3cret', '"abc"', '"pw"']) {
      expect(text).not.toContain(secret);
    }
    expect(redacted).toMatchObject({
      providers: { openai: { apiKey: '[redacted]' }, ollama: { host: 'http://localhost:11434' } },
      database: { url: 'postgres://cadre:[redacted]@db.example:5432/cadre', poolSize: 10 },
      redis: { url: 'redis://:[redacted]@cache:6379' },
    });
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactSecrets({ url: 'postgres://db.example/cadre?x=1' })).toEqual({
      url: 'postgres://db.example/cadre?x=1',
    });
  });
});

describe('the cadre command with a bad configuration', () => {
  beforeAll(() => assertBuilt());

  it.each([['config'], ['up'], ['migrate']])(
    '`cadre %s` with CADRE_PORT=abc prints one message naming the key and exits 2',
    async (command) => {
      const result = await runCli([command], {
        env: cliEnv({ CADRE_PORT: 'abc', CADRE_DATA_DIR: emptyDir }),
        cwd: emptyDir,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^cadre: Invalid configuration:\n/);
      expect(result.stderr).toContain('server.port (from CADRE_PORT)');
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(result.stdout).toBe('');
    },
  );

  it('`cadre config` prints the effective configuration with secrets redacted', async () => {
    const result = await runCli(['config'], {
      env: cliEnv({
        OPENAI_API_KEY: 'sk-live-123456',
        DATABASE_URL: 'postgres://cadre:topsecret@db.example:5432/cadre',
        CADRE_PORT: '4321',
      }),
      cwd: emptyDir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('sk-live-123456');
    expect(result.stdout).not.toContain('topsecret');
    const config = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
      server: { port: number };
      database: { url: string };
      providers: { openai: { apiKey: string } };
    };
    expect(config.server.port).toBe(4321);
    expect(config.database.url).toBe('postgres://cadre:[redacted]@db.example:5432/cadre');
    expect(config.providers.openai.apiKey).toBe('[redacted]');
  });
});
