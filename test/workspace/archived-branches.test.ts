// Starting a task's branch over (a retry from the start): the old head is kept under
// refs/cadre/attempts/<task>/<attempt>, the branch and worktree go, the next worktree starts
// from the base's current head, and running it again with nothing to keep changes nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { createProjectLock, createTaskBranchStore } from '../../src/orchestrator/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { createTestDatabase } from '../helpers/database.js';

let dataDir: string;
let database: Database;
let workspaces: Workspaces;
const projectId = 'p-archive';
const task = { projectId, taskId: 't-archive' };

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', join(dataDir, 'workspaces', projectId, 'repo.git'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-archive-'));
  database = await createTestDatabase();
  workspaces = createWorkspaces({
    dataDir,
    taskBranches: createTaskBranchStore(database.db),
    projectLock: createProjectLock(database.pool),
  });
  await workspaces.createRepository(projectId, { type: 'empty' });
});
afterAll(async () => {
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('archiving a task branch', () => {
  it('keeps the old head under its attempt and starts the next worktree from the base', async () => {
    const first = await workspaces.createTaskWorktree(task);
    await workspaces.writeFile(task, 'idea.txt', 'first idea\n');
    const head = await workspaces.commit(task, 'First idea');

    expect(await workspaces.archiveTaskBranch(task, 1)).toBe(head);
    expect(git('rev-parse', `refs/cadre/attempts/${task.taskId}/1`)).toBe(head);
    expect(git('branch', '--list', first.branch)).toBe('');
    expect(existsSync(first.path)).toBe(false);

    // Nothing left to keep: a second call (an interrupted retry sent again) changes nothing.
    expect(await workspaces.archiveTaskBranch(task, 1)).toBeNull();
    expect(git('rev-parse', `refs/cadre/attempts/${task.taskId}/1`)).toBe(head);

    const again = await workspaces.createTaskWorktree(task);
    expect(again).toMatchObject({ branch: first.branch, baseBranch: 'main' });
    expect(git('rev-parse', again.branch)).toBe(git('rev-parse', 'main'));
    expect(existsSync(join(again.path, 'idea.txt'))).toBe(false);
  });

  it('has nothing to keep for a task that never had a branch', async () => {
    expect(await workspaces.archiveTaskBranch({ projectId, taskId: 't-none' }, 1)).toBeNull();
    expect(git('for-each-ref', 'refs/cadre/attempts/t-none')).toBe('');
  });
});
