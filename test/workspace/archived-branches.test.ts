// Starting a task's branch over (a retry from the start): the old head is kept under
// refs/cadre/attempts/<task>/<attempt>, the branch and worktree go, the next worktree starts
// from the base's current head, and running it again with nothing to keep changes nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useProjectRepository } from '../helpers/project-repository.js';

const projectId = 'p-archive';
const repo = useProjectRepository(projectId);
const { git } = repo;
const task = { projectId, taskId: 't-archive' };

describe('archiving a task branch', () => {
  it('keeps the old head under its attempt and starts the next worktree from the base', async () => {
    const first = await repo.workspaces.createTaskWorktree(task);
    await repo.workspaces.writeFile(task, 'idea.txt', 'first idea\n');
    const head = await repo.workspaces.commit(task, 'First idea');

    expect(await repo.workspaces.archiveTaskBranch(task, 1)).toBe(head);
    expect(git('rev-parse', `refs/cadre/attempts/${task.taskId}/1`)).toBe(head);
    expect(git('branch', '--list', first.branch)).toBe('');
    expect(existsSync(first.path)).toBe(false);

    // Nothing left to keep: a second call (an interrupted retry sent again) changes nothing.
    expect(await repo.workspaces.archiveTaskBranch(task, 1)).toBeNull();
    expect(git('rev-parse', `refs/cadre/attempts/${task.taskId}/1`)).toBe(head);

    const again = await repo.workspaces.createTaskWorktree(task);
    expect(again).toMatchObject({ branch: first.branch, baseBranch: 'main' });
    expect(git('rev-parse', again.branch)).toBe(git('rev-parse', 'main'));
    expect(existsSync(join(again.path, 'idea.txt'))).toBe(false);
  });

  it('has nothing to keep for a task that never had a branch', async () => {
    expect(await repo.workspaces.archiveTaskBranch({ projectId, taskId: 't-none' }, 1)).toBeNull();
    expect(git('for-each-ref', 'refs/cadre/attempts/t-none')).toBe('');
  });
});
