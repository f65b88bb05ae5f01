// Workspaces shared by processes on one database: task branches' bases live in Postgres (never
// in git config), and git work on a project runs under a Postgres advisory lock, so two
// workspace services with their own pools never trip over git's locks or each other's merges.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/index.js';
import { createProjectLock, createTaskBranchStore } from '../../src/orchestrator/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { createTestDatabaseUrl } from '../helpers/database.js';

let dataDir: string;
const databases: Database[] = [];
let one: Workspaces;
let two: Workspaces;

const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', gitDir, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

/** A workspace service as one process builds it: its own pool on the shared database. */
function serviceOn(database: Database): Workspaces {
  return createWorkspaces({
    dataDir,
    taskBranches: createTaskBranchStore(database.db),
    projectLock: createProjectLock(database.pool),
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-shared-'));
  const url = await createTestDatabaseUrl();
  for (let index = 0; index < 2; index++) {
    databases.push(await connectDatabase({ url, poolSize: 4 }));
  }
  one = serviceOn(databases[0]!);
  two = serviceOn(databases[1]!);
});
afterAll(async () => {
  await Promise.all(databases.map((database) => database.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe('workspaces shared by two processes', () => {
  it('create worktrees and merge them into one base concurrently without a git error', async () => {
    await one.createRepository('p-shared', { type: 'empty' });
    const taskIds = Array.from({ length: 8 }, (_, index) => `t${index}`);
    const results = await Promise.allSettled(
      taskIds.map(async (taskId, index) => {
        const service = index % 2 === 0 ? one : two;
        const task = { projectId: 'p-shared', taskId };
        await service.createTaskWorktree(task);
        await service.writeFile(task, `${taskId}.txt`, `work of ${taskId}\n`);
        return service.merge(task);
      }),
    );
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures).toEqual([]);

    const gitDir = join(dataDir, 'workspaces', 'p-shared', 'repo.git');
    const onMain = git(gitDir, 'ls-tree', '--name-only', 'main').split('\n');
    expect(onMain.sort()).toEqual(taskIds.map((taskId) => `${taskId}.txt`).sort());
    // The bases are rows, and the repository's config names no task branch.
    const rows = await databases[0]!.pool.query<{ task_id: string; base_branch: string }>(
      `SELECT task_id, base_branch FROM task_branches WHERE project_id = 'p-shared' ORDER BY task_id`,
    );
    expect(rows.rows).toEqual(taskIds.map((taskId) => ({ task_id: taskId, base_branch: 'main' })));
    expect(git(gitDir, 'config', '--list', '--local')).not.toContain('cadre');
    // Either process sees the other's worktrees with their bases.
    const seen = await two.getTaskWorktree({ projectId: 'p-shared', taskId: 't0' });
    expect(seen).toMatchObject({ branch: 'cadre/task-t0', baseBranch: 'main' });
  });

  it('lets one holder at a time run under a project lock, across pools', async () => {
    const locks = databases.map((database) => createProjectLock(database.pool));
    let running = 0;
    let mostAtOnce = 0;
    const work = async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((done) => setTimeout(done, 20));
      running -= 1;
    };
    await Promise.all(Array.from({ length: 6 }, (_, index) => locks[index % 2]!('p-lock', work)));
    expect(mostAtOnce).toBe(1);
    // Another project's lock does not wait for this one.
    let otherRan = false;
    await locks[0]!('p-lock', async () => {
      await locks[1]!('p-other', async () => {
        otherRan = true;
      });
    });
    expect(otherRan).toBe(true);
  });

  it('keeps a failed holder from keeping the lock', async () => {
    const lock = createProjectLock(databases[0]!.pool);
    await expect(
      lock('p-fail', async () => {
        throw new Error('git failed');
      }),
    ).rejects.toThrow('git failed');
    await expect(lock('p-fail', async () => 'ran')).resolves.toBe('ran');
  });
});

describe('a repository from before bases lived in Postgres', () => {
  it('has its task bases moved out of git config on first use', async () => {
    await one.createRepository('p-legacy', { type: 'empty' });
    const task = { projectId: 'p-legacy', taskId: 't-old' };
    await one.createTaskWorktree(task);
    // As an older Cadre left it: the base in git config, no row.
    const gitDir = join(dataDir, 'workspaces', 'p-legacy', 'repo.git');
    git(gitDir, 'config', 'branch.cadre/task-t-old.cadrebase', 'main');
    await databases[0]!.pool.query(`DELETE FROM task_branches WHERE project_id = 'p-legacy'`);
    // A process started after the upgrade.
    const upgraded = serviceOn(databases[1]!);
    expect(await upgraded.getTaskWorktree(task)).toMatchObject({ baseBranch: 'main' });
    expect(git(gitDir, 'config', '--list', '--local')).not.toContain('cadrebase');
    const rows = await databases[0]!.pool.query(
      `SELECT base_branch FROM task_branches WHERE project_id = 'p-legacy' AND task_id = 't-old'`,
    );
    expect(rows.rows).toEqual([{ base_branch: 'main' }]);
    await upgraded.writeFile(task, 'a.txt', 'a\n');
    expect((await upgraded.merge(task)).baseBranch).toBe('main');
  });
});
