// Cadre's own repository of a project over git smart HTTP, with the real git client against a
// real server on a port: clone and fetch with an API key as the password; a wrong key, another
// organization, a push and path tricks all refused; a client that goes away ends git.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskBranchStore } from '../../src/orchestrator/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import {
  bearer,
  createOrganization,
  createTaskThroughApi,
  createTestApp,
  type TestApp,
} from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { gitClient } from '../helpers/git.js';

const run = promisify(execFile);

let t: TestApp;
let origin: string;
let projectId: string;
let cloneUrl: string;
let gitDir: string;
let workspaces: Workspaces;
let scratch: string;
beforeAll(async () => {
  t = await createTestApp();
  origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  scratch = await mkdtemp(join(tmpdir(), 'cadre-git-http-'));
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: { ...bearer(t.adminKey), host: new URL(origin).host },
    payload: { name: 'served' },
  });
  projectId = project.json().id;
  cloneUrl = project.json().cloneUrl;
  await t.app.inject({
    method: 'POST',
    url: `/api/projects/${projectId}/workspace`,
    headers: bearer(t.adminKey),
    payload: {},
  });
  gitDir = join(t.dataDir, 'workspaces', projectId, 'repo.git');
  workspaces = createWorkspaces({
    dataDir: t.dataDir,
    taskBranches: createTaskBranchStore(t.database.db),
  });
  await mergeFile('README.md', '# Served\n');
});
afterAll(async () => {
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A task that writes one file and is merged into main. */
async function mergeFile(path: string, content: string) {
  const taskId = await createTaskThroughApi(t, projectId, `Add ${path}`);
  const task = { projectId, taskId };
  await workspaces.createTaskWorktree(task);
  await workspaces.writeFile(task, path, content);
  return workspaces.merge(task, `Add ${path}`);
}

const git = (args: string[], cwd = scratch) => gitClient(scratch, args, cwd);

/** Runs git and answers its exit code and stderr, for the commands that must fail. */
async function gitFailure(args: string[], cwd = scratch) {
  try {
    await git(args, cwd);
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

const withKey = (url: string, key: string) => url.replace('http://', `http://cadre:${key}@`);
const basic = (key: string) => ({
  authorization: `Basic ${Buffer.from(`any:${key}`).toString('base64')}`,
});
const head = async () =>
  (await run('git', ['--git-dir', gitDir, 'rev-parse', 'main'])).stdout.trim();

/** A raw HTTP request whose path goes out exactly as written (fetch would normalize it). */
function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(origin);
    const sent = httpRequest(
      { host: url.hostname, port: url.port, path, method: 'GET', headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

describe('git smart HTTP', () => {
  it('hands out a clone URL that git clones with an API key as the password, then fetches', async () => {
    expect(cloneUrl).toBe(`${origin}/git/default/${projectId}.git`);
    const target = join(scratch, 'clone');
    await git(['clone', withKey(cloneUrl, t.adminKey), target]);
    expect(await readFile(join(target, 'README.md'), 'utf8')).toBe('# Served\n');
    expect((await git(['rev-parse', 'HEAD'], target)).stdout.trim()).toBe(await head());
    // Cadre's internal refs (a task's pre-merge base) are not advertised.
    const refs = (await git(['ls-remote', withKey(cloneUrl, t.adminKey)])).stdout;
    expect(refs).toContain('refs/heads/main');
    expect(refs).not.toContain('refs/cadre/');

    await mergeFile('src/app.js', 'export const answer = 42;\n');
    await git(['fetch', 'origin'], target);
    expect((await git(['rev-parse', 'origin/main'], target)).stdout.trim()).toBe(await head());
    await git(['merge', '--ff-only', 'origin/main'], target);
    expect(await readFile(join(target, 'src/app.js'), 'utf8')).toContain('answer = 42');

    // Also by the project's name, with the protocol git 2.x speaks by default and with v0.
    const byName = join(scratch, 'by-name');
    await git([
      '-c',
      'protocol.version=0',
      'clone',
      withKey(`${origin}/git/default/served.git`, t.adminKey),
      byName,
    ]);
    expect(await readFile(join(byName, 'README.md'), 'utf8')).toBe('# Served\n');
  });

  it('answers 401 with a Basic challenge without a key or with a wrong one, and git says so', async () => {
    const bare = await fetch(`${cloneUrl}/info/refs?service=git-upload-pack`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Basic realm="Cadre"');
    expect(await bare.text()).toContain('Give an API key as the password');

    const wrong = await fetch(`${cloneUrl}/info/refs?service=git-upload-pack`, {
      headers: basic('cadre_notakey'),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="Cadre"');

    const failed = await gitFailure([
      'clone',
      withKey(cloneUrl, 'cadre_wrong'),
      join(scratch, 'no'),
    ]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/Authentication failed/);
  });

  it("answers another organization's key 404, as for a repository that does not exist", async () => {
    const other = await createOrganization(t.database, 'Elsewhere');
    const response = await fetch(`${cloneUrl}/info/refs?service=git-upload-pack`, {
      headers: basic(other.key),
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/^NOT_FOUND: No repository default\//);
    const missing = await fetch(
      `${origin}/git/default/nope.git/info/refs?service=git-upload-pack`,
      {
        headers: basic(t.adminKey),
      },
    );
    expect(missing.status).toBe(404);
    const failed = await gitFailure([
      'clone',
      withKey(cloneUrl, other.key),
      join(scratch, 'other'),
    ]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('No repository default/');
  });

  it('refuses a push with a clear message and leaves the repository as it was', async () => {
    const before = await head();
    const work = join(scratch, 'pusher');
    await git(['clone', withKey(cloneUrl, t.adminKey), work]);
    await git(['commit', '--allow-empty', '-m', 'Sneak in'], work);
    const failed = await gitFailure(['push', 'origin', 'HEAD:main'], work);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('GIT_PUSH_REFUSED');
    expect(await head()).toBe(before);

    const post = await fetch(`${cloneUrl}/git-receive-pack`, {
      method: 'POST',
      headers: { ...basic(t.adminKey), 'content-type': 'application/x-git-receive-pack-request' },
      body: '0000',
    });
    expect(post.status).toBe(403);
    expect(await post.text()).toMatch(/^GIT_PUSH_REFUSED: /);
    expect(await head()).toBe(before);
  });

  it('refuses path tricks and the dumb protocol', async () => {
    const auth = basic(t.adminKey);
    const service = '/info/refs?service=git-upload-pack';
    for (const path of [
      `/git/default/../${projectId}.git${service}`,
      `/git/default/%2e%2e/${projectId}.git${service}`,
      `/git/%2e%2e/${projectId}.git${service}`,
      `/git/default/%2e%2e${service}`,
      `/git/default/${projectId}.git%2f..%2f..${service}`,
      `/git/default/..%2f..%2f${projectId}${service}`,
    ]) {
      const response = await rawGet(path, auth);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('PACK');
    }
    const dumb = await rawGet(`/git/default/${projectId}.git/info/refs`, auth);
    expect(dumb.status).toBe(403);
    expect(dumb.body).toMatch(/^GIT_SERVICE_UNSUPPORTED: /);
    expect((await rawGet(`/git/default/${projectId}.git/HEAD`, auth)).status).toBe(404);
    const objects = await rawGet(`/git/default/${projectId}.git/objects/info/packs`, auth);
    expect(objects.status).toBe(404);
  });

  it('inflates a gzip-compressed negotiation, as git sends a long one', async () => {
    const want = await head();
    const line = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
    const body = gzipSync(`${line(`want ${want} ofs-delta\n`)}0000${line('done\n')}`);
    const response = await fetch(`${cloneUrl}/git-upload-pack`, {
      method: 'POST',
      headers: {
        ...basic(t.adminKey),
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const answer = Buffer.from(await response.arrayBuffer());
    expect(answer.toString('latin1')).toContain('NAK');
    expect(answer.includes(Buffer.from('PACK'))).toBe(true);
  });

  it('ends git http-backend when the client goes away mid-request', async () => {
    const url = new URL(cloneUrl);
    const sent = httpRequest({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}/git-upload-pack`,
      method: 'POST',
      headers: {
        ...basic(t.adminKey),
        'content-type': 'application/x-git-upload-pack-request',
        'transfer-encoding': 'chunked',
      },
    });
    sent.on('error', () => undefined);
    // Half a request: git http-backend waits for the rest.
    sent.write('0032want ');
    await waitFor('git http-backend to start', async () => (await backends()).length > 0 || null);
    sent.destroy();
    await waitFor('git http-backend to end', async () => (await backends()).length === 0 || null);
  });
});

/** The pids of the git http-backend processes serving this test's repository. */
async function backends(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!commandLine.includes('http-backend')) continue;
    const environment = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
    if (environment.includes(`GIT_PROJECT_ROOT=${gitDir}`)) found.push(Number(entry));
  }
  return found;
}

describe('git smart HTTP under a stream of wrong keys', () => {
  it('throttles the address like the API does, and still serves a key it knows', async () => {
    const strict = await createTestApp({
      server: { invalidCredentialsPerMinute: 2 } as TestApp['config']['server'],
    });
    try {
      const url = '/git/default/any.git/info/refs?service=git-upload-pack';
      // A key seen before the throttle starts is answered from memory afterwards.
      const known = await strict.app.inject({
        method: 'GET',
        url,
        headers: basic(strict.adminKey),
      });
      expect(known.statusCode).toBe(404);
      for (const attempt of [1, 2]) {
        const wrong = await strict.app.inject({
          method: 'GET',
          url,
          headers: basic(`cadre_bad${attempt}`),
        });
        expect(wrong.statusCode).toBe(401);
      }
      const throttled = await strict.app.inject({
        method: 'GET',
        url,
        headers: basic('cadre_bad3'),
      });
      expect(throttled.statusCode).toBe(429);
      expect(throttled.body).toMatch(/^CREDENTIALS_THROTTLED: /);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      const stillKnown = await strict.app.inject({
        method: 'GET',
        url,
        headers: basic(strict.adminKey),
      });
      expect(stillKnown.statusCode).toBe(404);
    } finally {
      await strict.close();
    }
  });
});

describe('git smart HTTP with a short timeout', () => {
  it('kills a request that runs past CADRE_GIT_TIMEOUT_MS and says so', async () => {
    const quick = await createTestApp({
      server: { gitTimeoutMs: 500 } as TestApp['config']['server'],
    });
    try {
      const served = await quick.app.listen({ host: '127.0.0.1', port: 0 });
      const project = await quick.app.inject({
        method: 'POST',
        url: '/api/projects',
        headers: bearer(quick.adminKey),
        payload: { name: 'slow' },
      });
      const id: string = project.json().id;
      await quick.app.inject({
        method: 'POST',
        url: `/api/projects/${id}/workspace`,
        headers: bearer(quick.adminKey),
        payload: {},
      });
      // Half a request that never ends: only the timeout ends git.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(served);
        const sent = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: `/git/default/${id}.git/git-upload-pack`,
            method: 'POST',
            headers: {
              ...basic(quick.adminKey),
              'content-type': 'application/x-git-upload-pack-request',
              'transfer-encoding': 'chunked',
            },
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => {
              resolve({ status: response.statusCode ?? 0, body });
              sent.destroy();
            });
          },
        );
        sent.on('error', reject);
        sent.write('0032want ');
      });
      expect(answer.status).toBe(504);
      expect(answer.body).toMatch(/^GIT_TIMED_OUT: .* ran longer than server\.gitTimeoutMs allows/);
    } finally {
      await quick.close();
    }
  });
});
