// Creating a task's worktree converges after an interruption at each point (branch made but no
// folder; folder made but not registered; registered but folder removed), and a checkout that
// cannot follow its merged base fails the merge instead of being left stale, and is carried
// along when the merge runs again.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { useProjectRepository } from '../helpers/project-repository.js';

const projectId = 'p-resume';
const repo = useProjectRepository(projectId);
const { git, gitDir } = repo;
const folderOf = (taskId: string) => join(repo.dataDir, 'workspaces', projectId, 'tasks', taskId);

/** Makes a task's worktree with one committed file, so a lost checkout would show. */
async function committedTask(taskId: string) {
  const task = { projectId, taskId };
  await repo.workspaces.createTaskWorktree(task);
  await repo.workspaces.writeFile(task, 'work.txt', `work of ${taskId}\n`);
  await repo.workspaces.commit(task, `Work of ${taskId}`);
  return task;
}

/** The worktree works: it is on the task's branch, holds the committed work and commits. */
async function expectWorking(taskId: string) {
  const task = { projectId, taskId };
  const found = await repo.workspaces.getTaskWorktree(task);
  expect(found).toMatchObject({ branch: `cadre/task-${taskId}`, baseBranch: 'main' });
  expect(await readFile(join(folderOf(taskId), 'work.txt'), 'utf8')).toBe(`work of ${taskId}\n`);
  await repo.workspaces.writeFile(task, 'more.txt', 'more\n');
  expect(await repo.workspaces.commit(task, 'More')).toMatch(/^[0-9a-f]{40}$/);
  const listed = git('worktree', 'list', '--porcelain');
  expect(listed.split(`worktree ${folderOf(taskId)}\n`)).toHaveLength(2);
}

describe('creating a task worktree again', () => {
  it('gives the same worktree when called twice', async () => {
    const first = await committedTask('t-twice');
    const again = await repo.workspaces.createTaskWorktree(first);
    expect(again).toEqual(await repo.workspaces.getTaskWorktree(first));
    await expectWorking('t-twice');
  });

  it('checks the branch out again when the branch exists but its folder never did', async () => {
    const task = await committedTask('t-branch-only');
    await rm(folderOf(task.taskId), { recursive: true, force: true });
    git('worktree', 'prune');
    await repo.workspaces.createTaskWorktree(task);
    await expectWorking(task.taskId);
  });

  it('replaces a folder that git does not know', async () => {
    const task = await committedTask('t-unregistered');
    await rm(folderOf(task.taskId), { recursive: true, force: true });
    git('worktree', 'prune');
    await mkdir(folderOf(task.taskId));
    await writeFile(join(folderOf(task.taskId), 'left-over.txt'), 'half\n');
    await repo.workspaces.createTaskWorktree(task);
    await expectWorking(task.taskId);
  });

  it('repairs a registration whose folder was removed', async () => {
    const task = await committedTask('t-registered');
    await rm(folderOf(task.taskId), { recursive: true, force: true });
    await repo.workspaces.createTaskWorktree(task);
    await expectWorking(task.taskId);
  });

  it('finishes a worktree whose `git worktree add` was cut off', async () => {
    const task = await committedTask('t-cut-off');
    // git leaves its admin folder locked while it adds a worktree; a kill leaves it so.
    await writeFile(join(gitDir(), 'worktrees', task.taskId, 'locked'), 'initializing');
    await rm(join(folderOf(task.taskId), 'work.txt'));
    await repo.workspaces.createTaskWorktree(task);
    await expectWorking(task.taskId);
  });

  it('keeps the base the first call recorded', async () => {
    git('branch', 'other', 'main');
    const task = { projectId, taskId: 't-base' };
    await repo.workspaces.createTaskWorktree(task, 'other');
    const again = await repo.workspaces.createTaskWorktree(task, 'main');
    expect(again.baseBranch).toBe('other');
    expect(git('config', '--list', '--local')).not.toContain('cadrebase');
  });
});

describe('a checkout that cannot follow its merged base', () => {
  it('fails the merge with WORKSPACE_CHECKOUT_STALE', async () => {
    // The parent task's branch is checked out in its worktree; a child task merges into it
    // while the parent's worktree holds an uncommitted edit of the merged file.
    const parent = await committedTask('t-parent');
    const child = { projectId, taskId: 't-child' };
    await repo.workspaces.createTaskWorktree(child, 'cadre/task-t-parent');
    await repo.workspaces.writeFile(child, 'work.txt', 'changed by the child\n');
    await repo.workspaces.writeFile(parent, 'work.txt', 'edited, not committed\n');
    const failure = await repo.workspaces.merge(child).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CadreError);
    expect((failure as CadreError).code).toBe('WORKSPACE_CHECKOUT_STALE');
    // The parent's edit is still there, not overwritten and not hidden.
    expect(await readFile(join(folderOf('t-parent'), 'work.txt'), 'utf8')).toBe(
      'edited, not committed\n',
    );
  });

  it('is carried along when the step runs again, so a commit there keeps the merge', async () => {
    // Continues the test above: the edit is undone, and the merge is run again; the child's
    // work is already on the parent's branch, but the parent's checkout still shows the old file.
    const parent = { projectId, taskId: 't-parent' };
    const child = { projectId, taskId: 't-child' };
    await writeFile(join(folderOf('t-parent'), 'work.txt'), 'work of t-parent\n');
    const again = await repo.workspaces.merge(child);
    expect(again.isAlreadyMerged).toBe(true);
    expect(await readFile(join(folderOf('t-parent'), 'work.txt'), 'utf8')).toBe(
      'changed by the child\n',
    );
    // Committing everything in the parent now changes nothing the merge brought.
    expect(await repo.workspaces.commit(parent, 'After the merge')).toBeNull();
    expect(git('show', 'cadre/task-t-parent:work.txt')).toBe('changed by the child');
  });
});
