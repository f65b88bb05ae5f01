// Import through the API, as an attacker would try it: another organization's repository in
// the data folder, a loopback URL from a member, and what the answers reveal.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';

let t: TestApp;
let served: string;
let server: GitHttpServer;

beforeAll(async () => {
  // The temporary folder holds the data folder too: only the data-folder rule keeps it out.
  t = await createTestApp({ imports: { roots: [tmpdir()], allowHosts: [] } });
  served = await mkdtemp(join(tmpdir(), 'cadre-served-'));
  execFileSync('git', ['init', '-q', '--bare', join(served, 'app.git')]);
  server = await startGitHttpServer(served);
});
afterAll(async () => {
  await server.close();
  await rm(served, { recursive: true, force: true });
  await t.close();
});

async function createProject(key: string, name: string): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(key),
    payload: { name },
  });
  expect(response.statusCode).toBe(201);
  return response.json().id as string;
}

function importInto(key: string, projectId: string, source: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/projects/${projectId}/workspace`,
    headers: bearer(key),
    payload: { source },
  });
}

const workspaceAudits = (projectId: string) =>
  t.database.db
    .select()
    .from(tables.auditLog)
    .where(eq(tables.auditLog.targetId, projectId))
    .then((rows) => rows.filter((row) => row.action === 'workspace-created'));

describe('import through the API', () => {
  it("refuses an organization's import of another organization's repo.git", async () => {
    const victim = await createProject(t.adminKey, 'victim');
    const created = await importInto(t.adminKey, victim, { type: 'empty' });
    expect(created.statusCode).toBe(201);
    const attacker = await createOrganization(t.database, 'Attacker', 'owner');
    const own = await createProject(attacker.key, 'loot');
    const victimRepository = join(t.dataDir, 'workspaces', victim, 'repo.git');
    for (const path of [victimRepository, join(t.dataDir, 'workspaces', victim, '..', victim)]) {
      const response = await importInto(attacker.key, own, { type: 'path', path });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('WORKSPACE_IMPORT_PATH_REFUSED');
      expect(response.body).not.toContain(t.dataDir);
    }
    const repository = await t.app.inject({
      method: 'GET',
      url: `/api/projects/${own}/workspace`,
      headers: bearer(attacker.key),
    });
    expect(repository.json().error.code).toBe('WORKSPACE_NOT_FOUND');
    expect(await workspaceAudits(own)).toEqual([]);
  });

  it("refuses a member's import of a loopback URL without connecting", async () => {
    const member = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(t.adminKey),
      payload: { name: 'member', role: 'member' },
    });
    const memberKey = member.json().key as string;
    const projectId = await createProject(memberKey, 'ssrf');
    const response = await importInto(memberKey, projectId, {
      type: 'url',
      url: `http://cadre:hunter2@127.0.0.1:${server.port}/app.git`,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('WORKSPACE_IMPORT_ADDRESS_REFUSED');
    expect(response.body).not.toContain('hunter2');
    expect(server.requests).toEqual([]);
    // A member still may not import a server folder at all.
    const local = await importInto(memberKey, projectId, { type: 'path', path: served });
    expect(local.statusCode).toBe(403);
    expect(local.json().error.details).toMatchObject({ permission: 'workspace:import-local' });
    expect(await workspaceAudits(projectId)).toEqual([]);
  });
});
