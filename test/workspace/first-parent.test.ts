// The base's first-parent line holds only states that were tested: a task branch of several
// commits (a broken one and its fix) is merged with a merge commit, never fast-forwarded, so
// that walking `git rev-list --first-parent main` never meets the broken one.
import { describe, expect, it } from 'vitest';
import { useProjectRepository } from '../helpers/project-repository.js';

const projectId = 'p-first-parent';
const repo = useProjectRepository(projectId);
const { git } = repo;

/** A task's worktree with one committed file of its own. */
async function committedTask(taskId: string) {
  const task = { projectId, taskId };
  await repo.workspaces.createTaskWorktree(task);
  await repo.workspaces.writeFile(task, `${taskId}.txt`, `work of ${taskId}\n`);
  await repo.workspaces.commit(task, `Work of ${taskId}`);
  return task;
}

describe('merging a task branch that its base could fast-forward to', () => {
  it('fast-forwards over one commit', async () => {
    const task = await committedTask('single');
    const merged = await repo.workspaces.merge(task);
    expect(merged.isFastForward).toBe(true);
    expect(git('rev-parse', 'main')).toBe(git('rev-parse', 'cadre/task-single'));
  });

  it('makes a merge commit over several, so the first-parent line skips the broken one', async () => {
    const task = await committedTask('several');
    await repo.workspaces.writeFile(task, 'several.txt', 'broken');
    const broken = await repo.workspaces.commit(task, 'Broken');
    await repo.workspaces.writeFile(task, 'several.txt', 'fixed\n');
    await repo.workspaces.commit(task, 'Fix');
    const before = git('rev-parse', 'main');

    const merged = await repo.workspaces.merge(task, 'Merge several');
    expect(merged.isFastForward).toBe(false);
    const firstParents = git('rev-list', '--first-parent', 'main').split('\n');
    expect(firstParents.slice(0, 2)).toEqual([merged.commit, before]);
    expect(firstParents).not.toContain(broken);
    expect(git('show', 'main:several.txt')).toBe('fixed');
  });
});
