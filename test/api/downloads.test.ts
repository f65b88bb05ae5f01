// A task's work as a patch and a project's base as a bundle, through the API and the CLI on a
// real server: the patch applies with `git am` on a clone of the bundle, still the same once the
// task is merged; the bundle verifies and clones.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/cli/api-client.js';
import { projectBundle, taskPatch } from '../../src/cli/commands/downloads.js';
import { createTaskBranchStore } from '../../src/orchestrator/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import {
  bearer,
  createOrganization,
  createTaskThroughApi,
  createTestApp,
  type TestApp,
} from '../helpers/app.js';
import { gitClient } from '../helpers/git.js';

type ErrorBody = { error: { code: string; message: string } };

let t: TestApp;
let origin: string;
let projectId: string;
let workspaces: Workspaces;
let scratch: string;
beforeAll(async () => {
  t = await createTestApp();
  origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  scratch = await mkdtemp(join(tmpdir(), 'cadre-downloads-'));
  // git bundle verify runs in a repository; an empty one has none of the bundle's history.
  await git(['init', '--quiet', join(scratch, 'verifier')]);
  projectId = await newProject('downloads');
  await t.app.inject({
    method: 'POST',
    url: `/api/projects/${projectId}/workspace`,
    headers: bearer(t.adminKey),
    payload: {},
  });
  workspaces = createWorkspaces({
    dataDir: t.dataDir,
    taskBranches: createTaskBranchStore(t.database.db),
  });
});
afterAll(async () => {
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function newProject(name: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name },
  });
  return response.json().id as string;
}

/** A task with a worktree and one commit per file. */
async function taskWithCommits(files: Record<string, string>) {
  const taskId = await createTaskThroughApi(t, projectId, 'Add files');
  const task = { projectId, taskId };
  await workspaces.createTaskWorktree(task);
  for (const [path, content] of Object.entries(files)) {
    await workspaces.writeFile(task, path, content);
    await workspaces.commit(task, `Add ${path}`);
  }
  return task;
}

const git = (args: string[], cwd = scratch) => gitClient(scratch, args, cwd);

const get = (path: string, key = t.adminKey) => fetch(`${origin}${path}`, { headers: bearer(key) });

/** What a CLI command wrote to stdout. */
async function stdoutOf(command: () => Promise<void>): Promise<string> {
  const chunks: Buffer[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) =>
    chunks.push(Buffer.from(chunk)) > 0) as typeof write;
  try {
    await command();
  } finally {
    process.stdout.write = write;
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('downloads', () => {
  it("gives the base as a bundle that verifies and clones, and the task's work as a patch that git am applies", async () => {
    const task = await taskWithCommits({
      'README.md': '# Downloads\n',
      'src/index.js': 'export const ready = true;\n',
    });

    const bundle = await get(`/api/projects/${projectId}/bundle`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('application/octet-stream');
    const bundleFile = join(scratch, 'base.bundle');
    await writeFile(bundleFile, Buffer.from(await bundle.arrayBuffer()));
    const verified = await git(['bundle', 'verify', bundleFile], join(scratch, 'verifier'));
    expect(verified.stdout + verified.stderr).toMatch(/is okay/);
    const clone = join(scratch, 'from-bundle');
    await git(['clone', '--branch', 'main', bundleFile, clone]);

    const patch = await get(`/api/tasks/${task.taskId}/patch`);
    expect(patch.status).toBe(200);
    expect(patch.headers.get('content-type')).toBe('text/x-patch; charset=utf-8');
    const patchText = await patch.text();
    expect(patchText).toContain('Subject: [PATCH 1/2] Add README.md');
    const patchFile = join(scratch, 'task.patch');
    await writeFile(patchFile, patchText);
    await git(['am', patchFile], clone);
    expect(await readFile(join(clone, 'src/index.js'), 'utf8')).toBe(
      'export const ready = true;\n',
    );
    expect((await git(['log', '--format=%s', '-2'], clone)).stdout.trim().split('\n')).toEqual([
      'Add src/index.js',
      'Add README.md',
    ]);

    // Merged (by hand), the task's patch is still its own work, not empty nor the whole base,
    // and the task says where its work went.
    const merge = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${projectId}/tasks/${task.taskId}/merge`,
      headers: bearer(t.adminKey),
      payload: {},
    });
    expect(merge.statusCode).toBe(200);
    const shown = (await (await get(`/api/tasks/${task.taskId}`)).json()) as { delivery: unknown };
    expect(shown.delivery).toEqual({
      mode: 'local',
      cloneUrl: `${origin}/git/default/${projectId}.git`,
      branch: 'main',
      commit: merge.json().commit,
    });
    const merged = await get(`/api/tasks/${task.taskId}/patch`);
    expect(merged.status).toBe(200);
    expect(await merged.text()).toBe(patchText);
  });

  it('prints the patch and saves the bundle through the CLI', async () => {
    const task = await taskWithCommits({ 'docs/usage.md': 'Run it.\n' });
    const client = createApiClient(t.config, { url: origin, key: t.adminKey });
    const printed = await stdoutOf(() => taskPatch(client, task.taskId));
    expect(printed).toContain('Subject: [PATCH] Add docs/usage.md');
    expect(printed).toContain('+Run it.');

    const output = join(scratch, 'cli.bundle');
    const said = await stdoutOf(() => projectBundle(client, 'downloads', { output }));
    expect(said).toContain(`Wrote ${output}`);
    expect(said).toContain('main');
    await git(['bundle', 'verify', output], join(scratch, 'verifier'));
    const clone = join(scratch, 'cli-clone');
    await git(['clone', output, clone]);
    expect(await readFile(join(clone, 'README.md'), 'utf8')).toBe('# Downloads\n');
  });

  it('says why there is no patch or bundle, and hides other organizations', async () => {
    const empty = await taskWithCommits({});
    const none = await get(`/api/tasks/${empty.taskId}/patch`);
    expect(none.status).toBe(409);
    expect(((await none.json()) as ErrorBody).error).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('no committed work'),
    });

    const bare = await newProject('no-repository');
    const noRepository = await get(`/api/projects/${bare}/bundle`);
    expect(noRepository.status).toBe(404);
    expect(((await noRepository.json()) as ErrorBody).error.code).toBe('WORKSPACE_NOT_FOUND');

    const other = await createOrganization(t.database, 'Outsider');
    expect((await get(`/api/projects/${projectId}/bundle`, other.key)).status).toBe(404);
    expect((await get(`/api/tasks/${empty.taskId}/patch`, other.key)).status).toBe(404);

    const client = createApiClient(t.config, { url: origin, key: other.key });
    await expect(taskPatch(client, empty.taskId)).rejects.toThrow(/NOT_FOUND/);
  });
});
