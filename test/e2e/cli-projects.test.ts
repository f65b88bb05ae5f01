// `cadre project create --repo` end to end: the real command against `cadre up`, cloning from
// a real git server that demands a token, the token read from an environment variable only.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import {
  assertBuilt,
  cliEnv,
  killStarted,
  makeTempDir,
  removeTempDirs,
  runCli,
  startCadre,
  stopCadre,
  type Started,
} from './cli-process.js';
import { git } from '../helpers/git.js';

const token = 'ghp_cliProjectToken24680';
let server: Started;
let gitServer: GitHttpServer;
let dataDir: string;

const client = (extra: Record<string, string> = {}) =>
  cliEnv({ CADRE_URL: server.url, CADRE_DATA_DIR: dataDir, ...extra });
const url = () => `${gitServer.origin}/app.git`;

beforeAll(async () => {
  assertBuilt();
  const scratch = await makeTempDir('cadre-cli-projects-');
  const work = join(scratch, 'work');
  await mkdir(work);
  git(work, 'init', '-q', '-b', 'main');
  await writeFile(join(work, 'README.md'), 'app\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'first');
  await mkdir(join(scratch, 'served'));
  git(join(scratch, 'served'), 'clone', '-q', '--bare', work, 'app.git');
  gitServer = await startGitHttpServer(join(scratch, 'served'), { auth: { password: token } });
  dataDir = join(scratch, 'data');
  server = await startCadre(
    cliEnv({ CADRE_DATA_DIR: dataDir, CADRE_PORT: '0', CADRE_IMPORT_ALLOW_HOSTS: '127.0.0.1' }),
  );
}, 90_000);
afterAll(async () => {
  if (server) await stopCadre(server);
  await gitServer?.close();
  killStarted();
  await removeTempDirs();
});

describe('cadre project create --repo', () => {
  it('clones with the token from an environment variable and shows the remote', async () => {
    const created = await runCli(
      ['project', 'create', 'app', '--repo', url(), '--token-env', 'APP_TOKEN'],
      {
        env: client({ APP_TOKEN: token }),
      },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`from ${url()} (main)`);
    const shown = await runCli(['project', 'show', 'app'], { env: client() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`remote\\s+${url().replace(/[.]/g, '\\.')}`));
    expect(shown.stdout).toMatch(/branch\s+main/);
    expect(shown.stdout).toMatch(/delivery\s+local/);
    expect(shown.stdout).toMatch(/secrets\s+git-token/);
    expect(shown.stdout + shown.stderr).not.toContain(token);
  });

  it('says what is wrong with a missing variable, a wrong token and an incomplete delivery', async () => {
    const unset = await runCli(['project', 'create', 'b', '--repo', url(), '--token-env', 'NOPE'], {
      env: client(),
    });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('NOPE');
    const wrong = await runCli(['project', 'create', 'c', '--repo', url(), '--token-env', 'T'], {
      env: client({ T: 'wrong-token' }),
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('refused the credential');
    expect(wrong.stderr).not.toContain('wrong-token');
    const pullRequest = await runCli(['project', 'update', 'app', '--delivery', 'pull-request'], {
      env: client(),
    });
    expect(pullRequest.code).not.toBe(0);
    expect(pullRequest.stderr).toContain('hostKind');
    const list = await runCli(['project', 'list'], { env: client() });
    expect(list.stdout).not.toMatch(/\bc\b.*local/);
  });

  it('renames a project and changes its branch, checked upstream', async () => {
    const renamed = await runCli(['project', 'update', 'app', '--name', 'app2'], { env: client() });
    expect(renamed.code).toBe(0);
    const missing = await runCli(['project', 'update', 'app2', '--branch', 'nope'], {
      env: client(),
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no branch "nope"');
  });
});
