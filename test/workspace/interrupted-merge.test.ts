// A task's merge into its base, interrupted at each boundary and run again, as a merge step
// resumed on another worker runs it: after the candidate was made (nothing moved), after the
// base moved (the step's commit never happened), and after a refused candidate was absorbed
// into the task's branch. Each re-run converges, and the base gets the task's work once.
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
const projectId = 'p-interrupted-merge';
const gitDir = () => join(dataDir, 'workspaces', projectId, 'repo.git');

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', gitDir(), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-interrupted-merge-'));
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

/** How many commits on main carry `subject`. */
const onMain = (subject: string) =>
  git('log', '--format=%s', 'main')
    .split('\n')
    .filter((line) => line === subject).length;

describe('a merge interrupted and run again', () => {
  it('after its candidate was made: nothing moved, and the re-run merges once', async () => {
    const task = await committedTask('planned');
    // Another task moves main meanwhile, so that this one needs a merge commit.
    await workspaces.merge(await committedTask('first'));
    const base = git('rev-parse', 'main');
    await workspaces.planMerge(task, 'Merge planned');
    expect(git('rev-parse', 'main')).toBe(base);

    const candidate = await workspaces.planMerge(task, 'Merge planned');
    await workspaces.applyMerge(task, candidate);
    expect(git('rev-parse', 'main')).toBe(candidate.commit);
    expect(onMain('Merge planned')).toBe(1);
    expect(onMain('Work of planned')).toBe(1);
  });

  it('after the base moved: the re-run finds it merged and moves nothing', async () => {
    const task = await committedTask('moved');
    const candidate = await workspaces.planMerge(task, 'Merge moved');
    await workspaces.applyMerge(task, candidate);
    const merged = git('rev-parse', 'main');

    const again = await workspaces.planMerge(task, 'Merge moved');
    expect(again).toMatchObject({ isAlreadyMerged: true, commit: merged });
    await workspaces.applyMerge(task, again);
    expect(git('rev-parse', 'main')).toBe(merged);
    expect(onMain('Merge moved')).toBeLessThanOrEqual(1);
    expect(onMain('Work of moved')).toBe(1);
  });

  it('after a refused candidate was absorbed: the re-run merges the task branch as it is now', async () => {
    const task = await committedTask('absorbed');
    await workspaces.merge(await committedTask('ahead'));
    const refused = await workspaces.planMerge(task, 'Merge absorbed');
    expect(refused).toMatchObject({ isFastForward: false, isAlreadyMerged: false });
    await workspaces.absorbMerge(task, refused);
    // Absorbing again (the step ran again before it recorded the verdict) fails as stale or
    // does nothing; either way the branch holds the candidate once.
    await workspaces.absorbMerge(task, refused).catch(() => undefined);
    expect(git('rev-parse', `cadre/task-absorbed`)).toBe(refused.commit);

    const next = await workspaces.planMerge(task, 'Merge absorbed');
    expect(next).toMatchObject({ isFastForward: true, commit: refused.commit });
    await workspaces.applyMerge(task, next);
    expect(git('rev-parse', 'main')).toBe(refused.commit);
    expect(onMain('Work of absorbed')).toBe(1);
  });
});
