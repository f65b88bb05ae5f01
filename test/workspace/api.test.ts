// The workspace routes end to end: files, diff, merge and its conflict, path confinement,
// sandboxed runs with their accounting, and tenancy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { createTaskWithSteps } from '../helpers/tasks.js';

let t: TestApp;
let headers: ReturnType<typeof bearer>;
beforeAll(async () => {
  t = await createTestApp();
  headers = bearer(t.adminKey);
});
afterAll(() => t.close());

async function projectWithTasks(name: string, count = 1) {
  const project = (
    await t.app.inject({ method: 'POST', url: '/api/projects', headers, payload: { name } })
  ).json();
  const taskIds: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const task = await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers,
      payload: { projectId: project.id, description: `task ${index}` },
    });
    taskIds.push(task.json().id);
  }
  const created = await t.app.inject({
    method: 'POST',
    url: `/api/projects/${project.id}/workspace`,
    headers,
    payload: {},
  });
  expect(created.statusCode).toBe(201);
  for (const taskId of taskIds) {
    const worktree = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${project.id}/tasks/${taskId}/worktree`,
      headers,
      payload: {},
    });
    expect(worktree.statusCode).toBe(201);
  }
  return { projectId: project.id as string, taskIds, base: `/api/projects/${project.id}/tasks` };
}

describe('workspace API', () => {
  it('says whether a task has a worktree, without a 404', async () => {
    const { base, taskIds } = await projectWithTasks('worktree-state');
    const withWorktree = await t.app.inject({
      method: 'GET',
      url: `${base}/${taskIds[0]}/worktree`,
      headers,
    });
    expect(withWorktree.json()).toMatchObject({
      taskId: taskIds[0],
      exists: true,
      branch: `cadre/task-${taskIds[0]}`,
      baseBranch: 'main',
    });
    const projectId = base.split('/')[3]!;
    const fresh = await t.app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers,
      payload: { projectId, description: 'no worktree yet' },
    });
    const without = await t.app.inject({
      method: 'GET',
      url: `${base}/${fresh.json().id}/worktree`,
      headers,
    });
    expect(without.statusCode).toBe(200);
    expect(without.json()).toEqual({
      taskId: fresh.json().id,
      exists: false,
      branch: null,
      baseBranch: null,
    });
  });

  it('writes, lists, reads and diffs files of a task, then merges it', async () => {
    const { projectId, taskIds, base } = await projectWithTasks('api-flow');
    const url = `${base}/${taskIds[0]}`;
    const write = await t.app.inject({
      method: 'PUT',
      url: `${url}/file`,
      headers,
      payload: { path: 'src/hello.txt', content: 'hello\n' },
    });
    expect(write.statusCode).toBe(204);
    const list = await t.app.inject({ method: 'GET', url: `${url}/files`, headers });
    expect(list.json().items).toEqual([
      { path: 'src', type: 'directory', size: 0 },
      { path: 'src/hello.txt', type: 'file', size: 6 },
    ]);
    const read = await t.app.inject({
      method: 'GET',
      url: `${url}/file?path=src/hello.txt`,
      headers,
    });
    expect(read.json()).toEqual({ path: 'src/hello.txt', content: 'hello\n' });
    const diff = await t.app.inject({ method: 'GET', url: `${url}/diff`, headers });
    expect(diff.json().files).toEqual([{ path: 'src/hello.txt', status: 'added' }]);
    expect(diff.json().patch).toContain('+hello');
    const merge = await t.app.inject({ method: 'POST', url: `${url}/merge`, headers, payload: {} });
    expect(merge.statusCode).toBe(200);
    expect(merge.json()).toMatchObject({ baseBranch: 'main', isFastForward: true });
    const repository = await t.app.inject({
      method: 'GET',
      url: `/api/projects/${projectId}/workspace`,
      headers,
    });
    expect(repository.json().head).toBe(merge.json().commit);
  });

  it('answers 409 MERGE_CONFLICT with the paths, and the base stays where it was', async () => {
    const { projectId, taskIds, base } = await projectWithTasks('api-conflict', 2);
    for (const [taskId, text] of [
      [taskIds[0], 'one'],
      [taskIds[1], 'two'],
    ]) {
      await t.app.inject({
        method: 'PUT',
        url: `${base}/${taskId}/file`,
        headers,
        payload: { path: 'same.txt', content: text },
      });
    }
    await t.app.inject({
      method: 'POST',
      url: `${base}/${taskIds[0]}/merge`,
      headers,
      payload: {},
    });
    const repoUrl = `/api/projects/${projectId}/workspace`;
    const before = (await t.app.inject({ method: 'GET', url: repoUrl, headers })).json().head;
    const conflict = await t.app.inject({
      method: 'POST',
      url: `${base}/${taskIds[1]}/merge`,
      headers,
      payload: {},
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({
      code: 'MERGE_CONFLICT',
      details: { paths: ['same.txt'] },
    });
    expect((await t.app.inject({ method: 'GET', url: repoUrl, headers })).json().head).toBe(before);
  });

  it('refuses paths that leave the workspace with 400 PATH_OUTSIDE_WORKSPACE', async () => {
    const { taskIds, base } = await projectWithTasks('api-confine');
    for (const path of ['../outside.txt', '/etc/passwd', '.git/config']) {
      const response = await t.app.inject({
        method: 'PUT',
        url: `${base}/${taskIds[0]}/file`,
        headers,
        payload: { path, content: 'x' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('PATH_OUTSIDE_WORKSPACE');
    }
    const read = await t.app.inject({
      method: 'GET',
      url: `${base}/${taskIds[0]}/file?path=${encodeURIComponent('../../../../etc/passwd')}`,
      headers,
    });
    expect(read.json().error.code).toBe('PATH_OUTSIDE_WORKSPACE');
  });

  it('runs a command in the sandbox and records its resource use for the step', async () => {
    const { taskIds, base } = await projectWithTasks('api-run');
    const [task] = await t.database.db
      .select()
      .from(tables.tasks)
      .where(eq(tables.tasks.id, taskIds[0]!));
    const [step] = await t.database.db
      .insert(tables.steps)
      .values({
        orgId: task!.orgId,
        taskId: task!.id,
        key: 'build',
        role: 'developer',
        goal: 'build',
      })
      .returning({ id: tables.steps.id });
    const stepIds = [step!.id];
    const foreign = await createTaskWithSteps(
      t.database.db,
      { orgId: task!.orgId, projectId: task!.projectId },
      1,
    );
    const wrongStep = await t.app.inject({
      method: 'POST',
      url: `${base}/${taskIds[0]}/runs`,
      headers,
      payload: { argv: ['true'], stepId: foreign.stepIds[0] },
    });
    expect(wrongStep.statusCode).toBe(404);
    const run = await t.app.inject({
      method: 'POST',
      url: `${base}/${taskIds[0]}/runs`,
      headers,
      payload: {
        argv: ['sh', '-c', 'echo out; echo err >&2; cat; exit 3'],
        stdin: 'in\n',
        stepId: stepIds[0],
      },
    });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({
      exitCode: 3,
      stdout: 'out\nin\n',
      stderr: 'err\n',
      isTimedOut: false,
    });
    const rows = await t.database.db
      .select()
      .from(tables.sandboxRuns)
      .where(eq(tables.sandboxRuns.stepId, stepIds[0]!));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      executor: 'bubblewrap',
      exitCode: 3,
      command: ['sh', '-c', 'echo out; echo err >&2; cat; exit 3'],
    });
    expect(rows[0]!.wallMs).toBeGreaterThan(0);
    expect(rows[0]!.cpuMs).not.toBeNull();
    const listed = await t.app.inject({
      method: 'GET',
      url: `${base}/${taskIds[0]}/runs`,
      headers,
    });
    expect(listed.json().items[0]).toMatchObject({ exitCode: 3, stepId: stepIds[0] });
  });

  it("hides another organization's workspace behind 404, and a viewer cannot write", async () => {
    const { projectId, taskIds, base } = await projectWithTasks('api-tenancy');
    const other = await createOrganization(t.database, 'Intruder');
    const stolen = await t.app.inject({
      method: 'GET',
      url: `${base}/${taskIds[0]}/files`,
      headers: bearer(other.key),
    });
    expect(stolen.statusCode).toBe(404);
    const viewer = await createOrganization(t.database, 'Viewers', 'viewer');
    const forbidden = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${projectId}/workspace`,
      headers: bearer(viewer.key),
      payload: {},
    });
    expect(forbidden.statusCode).toBe(403);
  });
});
