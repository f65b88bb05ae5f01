// A project's upstream is read from its row and its sealed secrets, and is enough for a real
// fetch from a git server that demands the token.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, listProjectSecretKinds } from '../../src/auth/index.js';
import { tables, type Database } from '../../src/db/index.js';
import {
  createProject,
  loadProjectRemote,
  storeProjectCredential,
  type ProjectRow,
} from '../../src/orchestrator/index.js';
import { createWorkspaces, fetchBranch, projectLayout } from '../../src/workspace/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { git } from '../helpers/git.js';

const token = 'glpat-projectRemoteToken42';
const secrets = createSecretBox(randomBytes(32));
let database: Database;
let orgId: string;
let scratch: string;
let server: GitHttpServer;
let head: string;

async function projectWithRemote(name: string, remoteUrl: string | null): Promise<ProjectRow> {
  const project = await createProject(database.db, orgId, { name });
  const [row] = await database.db
    .update(tables.projects)
    .set({ remoteUrl, remoteBranch: 'main' })
    .where(eq(tables.projects.id, project.id))
    .returning();
  return row!;
}

beforeAll(async () => {
  database = await createTestDatabase();
  const [org] = await database.db
    .insert(tables.organizations)
    .values({ name: 'Remote', slug: `remote-${randomBytes(4).toString('hex')}` })
    .returning();
  orgId = org!.id;
  scratch = await mkdtemp(join(tmpdir(), 'cadre-project-remote-'));
  const work = join(scratch, 'work');
  await mkdir(work);
  git(work, 'init', '-q', '-b', 'main');
  await writeFile(join(work, 'README.md'), 'upstream\n');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'first');
  head = git(work, 'rev-parse', 'HEAD');
  await mkdir(join(scratch, 'served'));
  git(join(scratch, 'served'), 'clone', '-q', '--bare', work, 'app.git');
  server = await startGitHttpServer(join(scratch, 'served'), {
    auth: { username: 'deploy', password: token },
  });
});
afterAll(async () => {
  await server.close();
  await database.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('loadProjectRemote', () => {
  it('is null for a project without a remote', async () => {
    const project = await projectWithRemote('local-only', null);
    expect(await loadProjectRemote(database.db, secrets, project)).toBeNull();
  });

  it('opens the stored token, and the remote it gives fetches for real', async () => {
    const project = await projectWithRemote('with-token', `${server.origin}/app.git`);
    expect(await loadProjectRemote(database.db, secrets, project)).toEqual({
      url: `${server.origin}/app.git`,
      credential: null,
    });
    await storeProjectCredential(database.db, secrets, project, {
      kind: 'token',
      token,
      username: 'deploy',
    });
    const remote = await loadProjectRemote(database.db, secrets, project);
    expect(remote).toEqual({
      url: `${server.origin}/app.git`,
      credential: { kind: 'token', token, username: 'deploy' },
    });
    const dataDir = join(scratch, 'data');
    await createWorkspaces({ dataDir }).createRepository(project.id, { type: 'empty' });
    const fetched = await fetchBranch(projectLayout(dataDir, project.id), remote!, 'main', {
      allowHosts: ['127.0.0.1'],
    });
    expect(fetched.commit).toBe(head);
  });

  it('replaces a token with an ssh key, keeping one credential only', async () => {
    const project = await projectWithRemote('with-key', 'ssh://git@git.example.test/app.git');
    await storeProjectCredential(database.db, secrets, project, { kind: 'token', token });
    await storeProjectCredential(database.db, secrets, project, {
      kind: 'ssh-key',
      privateKey: 'KEY',
    });
    expect(await listProjectSecretKinds(database.db, orgId, project.id)).toEqual(['ssh-key']);
    expect(await loadProjectRemote(database.db, secrets, project)).toEqual({
      url: 'ssh://git@git.example.test/app.git',
      credential: { kind: 'ssh-key', privateKey: 'KEY' },
    });
  });
});
