// The diff of a task once it is merged, once its worktree is removed, and when its base is
// gone: what the web app shows for a finished task, with real git repositories.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { bearer, createTestApp, createTaskThroughApi, type TestApp } from '../helpers/app.js';

let dataDir: string;
let workspaces: Workspaces;
const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-merged-diff-'));
  workspaces = createWorkspaces({ dataDir, now: () => new Date('2026-01-02T03:04:05Z') });
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** A project with an empty repository and a worktree for each task id. */
async function project(projectId: string, ...taskIds: string[]) {
  await workspaces.createRepository(projectId, { type: 'empty' });
  const tasks = [];
  for (const taskId of taskIds) {
    await workspaces.createTaskWorktree({ projectId, taskId });
    tasks.push({ projectId, taskId });
  }
  return { gitDir: join(dataDir, 'workspaces', projectId, 'repo.git'), tasks };
}

async function caught(promise: Promise<unknown>): Promise<CadreError> {
  const error = await promise.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(CadreError);
  return error as CadreError;
}

describe('the diff of a task', () => {
  it('still shows the changes of a task merged by fast-forward', async () => {
    const { gitDir, tasks } = await project('md-ff', 't1');
    const [task] = tasks as [{ projectId: string; taskId: string }];
    const start = git(gitDir, 'rev-parse', 'main');
    await workspaces.writeFile(task, 'feature.txt', 'done\n');
    const merged = await workspaces.merge(task);
    expect(merged.isFastForward).toBe(true);
    expect(git(gitDir, 'rev-parse', 'main')).toBe(merged.commit);

    const diff = await workspaces.diff(task);
    expect(diff).toMatchObject({
      baseBranch: 'main',
      mergeBase: start,
      files: [{ path: 'feature.txt', status: 'added' }],
    });
    expect(diff.patch).toContain('+done');
  });

  it("shows only the task's own changes after a merge commit, not the other task's", async () => {
    const { tasks } = await project('md-merge', 'first', 'second');
    const [first, second] = tasks as [
      { projectId: string; taskId: string },
      { projectId: string; taskId: string },
    ];
    await workspaces.writeFile(first, 'one.txt', 'one\n');
    await workspaces.merge(first);
    await workspaces.writeFile(second, 'two.txt', 'two\n');
    // Before its merge the second task's diff leaves out what the first brought to main.
    expect((await workspaces.diff(second)).files).toEqual([{ path: 'two.txt', status: 'added' }]);
    expect((await workspaces.merge(second)).isFastForward).toBe(false);

    expect((await workspaces.diff(second)).files).toEqual([{ path: 'two.txt', status: 'added' }]);
    expect((await workspaces.diff(first)).files).toEqual([{ path: 'one.txt', status: 'added' }]);
  });

  it('shows only the new work of a merged task that went on changing', async () => {
    const { tasks } = await project('md-more', 'task');
    const [task] = tasks as [{ projectId: string; taskId: string }];
    await workspaces.writeFile(task, 'merged.txt', 'merged\n');
    await workspaces.merge(task);
    await workspaces.writeFile(task, 'later.txt', 'later\n');
    await workspaces.commit(task, 'Later work');

    expect((await workspaces.diff(task)).files).toEqual([{ path: 'later.txt', status: 'added' }]);
  });

  it('diffs the branch once the worktree is removed, and says so when there is no branch', async () => {
    const { tasks } = await project('md-removed', 'gone');
    const [task] = tasks as [{ projectId: string; taskId: string }];
    await workspaces.writeFile(task, 'kept.txt', 'kept\n');
    await workspaces.merge(task);
    await workspaces.removeTaskWorktree(task);

    const diff = await workspaces.diff(task);
    expect(diff.files).toEqual([{ path: 'kept.txt', status: 'added' }]);
    expect(diff.patch).toContain('+kept');

    const missing = await caught(workspaces.diff({ projectId: 'md-removed', taskId: 'never' }));
    expect(missing).toMatchObject({ code: 'WORKSPACE_NOT_FOUND', status: 404 });
    expect(missing.message).toContain('Task never has no branch');
    const noRepository = await caught(workspaces.diff({ projectId: 'md-none', taskId: 'never' }));
    expect(noRepository.code).toBe('WORKSPACE_NOT_FOUND');
  });

  it('answers INVALID_STATE when the base branch of an unmerged task was deleted', async () => {
    const { gitDir } = await project('md-base');
    git(gitDir, 'branch', 'feature', 'main');
    const task = { projectId: 'md-base', taskId: 'orphan' };
    await workspaces.createTaskWorktree(task, 'feature');
    await workspaces.writeFile(task, 'orphan.txt', 'x\n');
    git(gitDir, 'branch', '-D', 'feature');

    const error = await caught(workspaces.diff(task));
    expect(error).toMatchObject({ code: 'INVALID_STATE', status: 409 });
    expect(error.message).toContain('"feature"');
  });
});

describe('GET /api/projects/:projectId/tasks/:taskId/diff', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("answers a done task's changes after its merge, and 404 for a task without a workspace", async () => {
    const headers = bearer(t.adminKey);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'merged diff' },
    });
    const projectId = created.json().id as string;
    const taskId = await createTaskThroughApi(t, projectId, 'Add a greeting');
    const otherTaskId = await createTaskThroughApi(t, projectId, 'Never started');
    const base = `/api/projects/${projectId}/tasks`;
    const post = (url: string, payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url, headers, payload });
    expect((await post(`/api/projects/${projectId}/workspace`, {})).statusCode).toBe(201);
    expect((await post(`${base}/${taskId}/worktree`, {})).statusCode).toBe(201);
    await t.app.inject({
      method: 'PUT',
      url: `${base}/${taskId}/file`,
      headers,
      payload: { path: 'hello.txt', content: 'hello\n' },
    });
    expect((await post(`${base}/${taskId}/merge`, {})).statusCode).toBe(200);

    const diff = await t.app.inject({ method: 'GET', url: `${base}/${taskId}/diff`, headers });
    expect(diff.statusCode).toBe(200);
    expect(diff.json().files).toEqual([{ path: 'hello.txt', status: 'added' }]);

    const missing = await t.app.inject({
      method: 'GET',
      url: `${base}/${otherTaskId}/diff`,
      headers,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('WORKSPACE_NOT_FOUND');
  });
});
