// The base's first-parent line holds only states that were tested: a task branch of several
// commits (a broken one and its fix) is merged with a merge commit, never fast-forwarded, so
// that walking `git rev-list --first-parent main` never meets the broken one.
import { execFileSync } from 'node:child_process';
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
const projectId = 'p-first-parent';
const gitDir = () => join(dataDir, 'workspaces', projectId, 'repo.git');

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', gitDir(), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-first-parent-'));
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

/** A task's worktree with one committed file of its own. */
async function committedTask(taskId: string) {
  const task = { projectId, taskId };
  await workspaces.createTaskWorktree(task);
  await workspaces.writeFile(task, `${taskId}.txt`, `work of ${taskId}\n`);
  await workspaces.commit(task, `Work of ${taskId}`);
  return task;
}

describe('merging a task branch that its base could fast-forward to', () => {
  it('fast-forwards over one commit', async () => {
    const task = await committedTask('single');
    const merged = await workspaces.merge(task);
    expect(merged.isFastForward).toBe(true);
    expect(git('rev-parse', 'main')).toBe(git('rev-parse', 'cadre/task-single'));
  });

  it('makes a merge commit over several, so the first-parent line skips the broken one', async () => {
    const task = await committedTask('several');
    await workspaces.writeFile(task, 'several.txt', 'broken');
    const broken = await workspaces.commit(task, 'Broken');
    await workspaces.writeFile(task, 'several.txt', 'fixed\n');
    await workspaces.commit(task, 'Fix');
    const before = git('rev-parse', 'main');

    const merged = await workspaces.merge(task, 'Merge several');
    expect(merged.isFastForward).toBe(false);
    const firstParents = git('rev-list', '--first-parent', 'main').split('\n');
    expect(firstParents.slice(0, 2)).toEqual([merged.commit, before]);
    expect(firstParents).not.toContain(broken);
    expect(git('show', 'main:several.txt')).toBe('fixed');
  });
});
