// Creating a project from a repository through the API, against a real git server that
// demands a token: the clone, what is recorded (never the credential), and every bad input
// answered with its own code while nothing at all is created.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import {
  startGitHttpServer,
  startPlainHttpServer,
  type GitHttpServer,
} from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

const token = 'ghp_apiProjectToken123456';
let t: TestApp;
let scratch: string;
let server: GitHttpServer;
let plain: GitHttpServer;
let mainHead: string;
let developHead: string;

const post = (payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: '/api/projects', headers: bearer(t.adminKey), payload });
const patch = (id: string, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'PATCH',
    url: `/api/projects/${id}`,
    headers: bearer(t.adminKey),
    payload,
  });
const url = () => `${server.origin}/app.git`;

/** What exists: project rows, secrets, and project folders on disk. */
async function everything() {
  const workspaces = join(t.dataDir, 'workspaces');
  return {
    projects: (await t.database.db.select().from(tables.projects)).length,
    secrets: (await t.database.db.select().from(tables.projectSecrets)).length,
    folders: existsSync(workspaces) ? readdirSync(workspaces).length : 0,
  };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cadre-project-repo-'));
  const work = join(scratch, 'work');
  await mkdir(work);
  git(work, 'init', '-q', '-b', 'main');
  await writeFile(join(work, 'README.md'), 'main\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'first');
  mainHead = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '-q', '-b', 'develop');
  await writeFile(join(work, 'README.md'), 'develop\n');
  git(work, 'commit', '-q', '-am', 'develop');
  developHead = git(work, 'rev-parse', 'HEAD');
  git(work, 'checkout', '-q', 'main');
  await mkdir(join(scratch, 'served'));
  git(join(scratch, 'served'), 'clone', '-q', '--bare', work, 'app.git');
  git(join(scratch, 'served'), 'init', '-q', '--bare', 'empty.git');
  server = await startGitHttpServer(join(scratch, 'served'), { auth: { password: token } });
  plain = await startPlainHttpServer();
  t = await createTestApp({
    imports: { roots: [join(scratch, 'roots')], allowHosts: ['127.0.0.1'] },
  });
});
afterAll(async () => {
  await server.close();
  await plain.close();
  await t.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('POST /api/projects with a repository', () => {
  it("clones the upstream's default branch and records it, never the token", async () => {
    const response = await post({
      name: 'from-url',
      repository: { url: url() },
      credential: { token },
    });
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain(token);
    const project = response.json();
    expect(project).toMatchObject({
      remoteUrl: url(),
      remoteBranch: 'main',
      deliveryMode: 'local',
      secretKinds: ['git-token'],
      hostKind: null,
    });
    const repository = await t.app.inject({
      method: 'GET',
      url: `/api/projects/${project.id}/workspace`,
      headers: bearer(t.adminKey),
    });
    expect(repository.json()).toMatchObject({ baseBranch: 'main', head: mainHead });
    const audits = await t.database.db.select().from(tables.auditLog);
    expect(JSON.stringify(audits)).not.toContain(token);
    const listed = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(t.adminKey),
    });
    expect(listed.body).not.toContain(token);
    expect(listed.json().items.find((item: { id: string }) => item.id === project.id)).toEqual(
      project,
    );
  });

  it('clones the branch asked for', async () => {
    const response = await post({
      name: 'from-develop',
      repository: { url: url() },
      branch: 'develop',
      credential: { token, username: 'someone' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().remoteBranch).toBe('develop');
    const repository = await t.app.inject({
      method: 'GET',
      url: `/api/projects/${response.json().id}/workspace`,
      headers: bearer(t.adminKey),
    });
    expect(repository.json()).toMatchObject({ baseBranch: 'develop', head: developHead });
  });

  it('creates nothing for each bad input, each with its own code', async () => {
    const before = await everything();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ repository: { url: url() }, credential: { token: 'wrong' } }, 422, 'REMOTE_AUTH_FAILED'],
      [{ repository: { url: url() } }, 422, 'REMOTE_AUTH_FAILED'],
      [
        { repository: { url: url() }, branch: 'nope', credential: { token } },
        422,
        'REMOTE_BRANCH_NOT_FOUND',
      ],
      [
        { repository: { url: `http://127.0.0.1:${await closedPort()}/app.git` } },
        422,
        'WORKSPACE_IMPORT_FAILED',
      ],
      // A web server that is not git, and an empty repository, answer as a closed port does.
      [{ repository: { url: `${plain.origin}/app.git` } }, 422, 'WORKSPACE_IMPORT_FAILED'],
      [
        { repository: { url: `${server.origin}/empty.git` }, credential: { token } },
        422,
        'WORKSPACE_IMPORT_FAILED',
      ],
      [{ repository: { url: 'http://10.1.2.3/app.git' } }, 403, 'WORKSPACE_IMPORT_ADDRESS_REFUSED'],
      [
        { repository: { url: `http://me:${token}@127.0.0.1:${server.port}/app.git` } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        { repository: { path: join(scratch, 'served', 'app.git') } },
        403,
        'WORKSPACE_IMPORT_PATH_REFUSED',
      ],
      [
        { repository: { url: url() }, credential: { token }, deliveryMode: 'pull-request' },
        400,
        'VALIDATION_FAILED',
      ],
      [
        { repository: { url: url() }, credential: { sshKey: 'not a key' } },
        400,
        'VALIDATION_FAILED',
      ],
    ];
    for (const [payload, status, code] of cases) {
      const response = await post({ name: 'never-made', ...payload });
      expect({ payload, status: response.statusCode, code: response.json().error.code }).toEqual({
        payload,
        status,
        code,
      });
      expect(response.body).not.toContain(token);
    }
    expect(await everything()).toEqual(before);
  });

  it('says to use `credential` for a URL with a password', async () => {
    const response = await post({
      name: 'with-password',
      repository: { url: `http://me:${token}@127.0.0.1:${server.port}/app.git` },
    });
    expect(response.json().error.message).toContain('credential.token');
  });

  it('refuses a name already taken before cloning anything', async () => {
    const requests = server.requests.length;
    const response = await post({
      name: 'from-url',
      repository: { url: url() },
      credential: { token },
    });
    expect(response.json().error.code).toBe('CONFLICT');
    expect(server.requests.length).toBe(requests);
  });
});

describe('PATCH /api/projects/:id upstream settings', () => {
  let id: string;
  beforeAll(async () => {
    const response = await post({
      name: 'to-change',
      repository: { url: url() },
      credential: { token },
    });
    id = response.json().id;
  });

  it('refuses a wrong new credential and keeps the old one', async () => {
    const response = await patch(id, { credential: { token: 'wrong' } });
    expect(response.json().error.code).toBe('REMOTE_AUTH_FAILED');
    const retry = await patch(id, { remoteBranch: 'develop' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().remoteBranch).toBe('develop');
  });

  it('refuses a branch the upstream lacks', async () => {
    const response = await patch(id, { remoteBranch: 'missing' });
    expect(response.json().error.code).toBe('REMOTE_BRANCH_NOT_FOUND');
  });

  it('checks the delivery mode has what it needs', async () => {
    const refused = await patch(id, { deliveryMode: 'pull-request' });
    expect(refused.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(refused.json().error.message).toContain('hostKind');
    const accepted = await patch(id, {
      deliveryMode: 'pull-request',
      hostKind: 'gitea',
      hostApiUrl: 'https://gitea.example.test/api/v1',
      hostRepository: 'team/app',
      hostToken: 'gitea-host-token',
    });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.body).not.toContain('gitea-host-token');
    expect(accepted.json()).toMatchObject({
      deliveryMode: 'pull-request',
      hostKind: 'gitea',
      secretKinds: ['git-token', 'host-token'],
    });
    const push = await patch(id, { deliveryMode: 'push', credential: null });
    expect(push.json().error.code).toBe('VALIDATION_FAILED');
    expect(push.json().error.message).toContain('credential');
  });

  it('refuses upstream fields on a project without an upstream', async () => {
    const plain = await post({ name: 'plain' });
    expect(plain.json()).toMatchObject({ remoteUrl: null, deliveryMode: 'local', secretKinds: [] });
    const response = await patch(plain.json().id, { remoteBranch: 'main' });
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('DELETE /api/projects/:id', () => {
  it('refuses while a task is unfinished, then removes the row, folder, memories and secrets', async () => {
    const created = await post({
      name: 'to-delete',
      repository: { url: url() },
      credential: { token },
    });
    const id = created.json().id as string;
    const folder = join(t.dataDir, 'workspaces', id);
    expect(existsSync(join(folder, 'repo.git'))).toBe(true);
    const [org] = await t.database.db.select().from(tables.organizations);
    await t.database.db
      .insert(tables.memories)
      .values({ orgId: org!.id, projectId: id, text: 'the build needs node 20' });
    const task = await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: bearer(t.adminKey),
      payload: { projectId: id, description: 'Add a README' },
    });
    expect(task.statusCode).toBe(201);
    const remove = () =>
      t.app.inject({ method: 'DELETE', url: `/api/projects/${id}`, headers: bearer(t.adminKey) });

    const refused = await remove();
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('INVALID_STATE');
    expect(refused.json().error.message).toContain('cancel');
    expect(existsSync(folder)).toBe(true);

    await t.app.inject({
      method: 'POST',
      url: `/api/tasks/${task.json().id}/cancel`,
      headers: bearer(t.adminKey),
    });
    expect((await remove()).statusCode).toBe(204);
    expect(existsSync(folder)).toBe(false);
    const left = async (table: typeof tables.memories | typeof tables.projectSecrets) =>
      (await t.database.db.select().from(table)).filter((row) => row.projectId === id);
    expect(await left(tables.memories)).toEqual([]);
    expect(await left(tables.projectSecrets)).toEqual([]);
    const audits = await t.database.db.select().from(tables.auditLog);
    expect(
      audits.find((row) => row.action === 'project-deleted' && row.targetId === id),
    ).toMatchObject({ data: { name: 'to-delete', isFolderRemoved: true } });
    expect((await remove()).statusCode).toBe(404);
  });
});
