// A task's merge into its base, interrupted at each boundary and run again, as a merge step
// resumed on another worker runs it: after the candidate was made (nothing moved), after the
// base moved (the step's commit never happened), and after a refused candidate was absorbed
// into the task's branch. Each re-run converges, and the base gets the task's work once.
import { describe, expect, it } from 'vitest';
import { useProjectRepository } from '../helpers/project-repository.js';

const projectId = 'p-interrupted-merge';
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

/** How many commits on main carry `subject`. */
const onMain = (subject: string) =>
  git('log', '--format=%s', 'main')
    .split('\n')
    .filter((line) => line === subject).length;

describe('a merge interrupted and run again', () => {
  it('after its candidate was made: nothing moved, and the re-run merges once', async () => {
    const task = await committedTask('planned');
    // Another task moves main meanwhile, so that this one needs a merge commit.
    await repo.workspaces.merge(await committedTask('first'));
    const base = git('rev-parse', 'main');
    await repo.workspaces.planMerge(task, 'Merge planned');
    expect(git('rev-parse', 'main')).toBe(base);

    const candidate = await repo.workspaces.planMerge(task, 'Merge planned');
    await repo.workspaces.applyMerge(task, candidate);
    expect(git('rev-parse', 'main')).toBe(candidate.commit);
    expect(onMain('Merge planned')).toBe(1);
    expect(onMain('Work of planned')).toBe(1);
  });

  it('after the base moved: the re-run finds it merged and moves nothing', async () => {
    const task = await committedTask('moved');
    const candidate = await repo.workspaces.planMerge(task, 'Merge moved');
    await repo.workspaces.applyMerge(task, candidate);
    const merged = git('rev-parse', 'main');

    const again = await repo.workspaces.planMerge(task, 'Merge moved');
    expect(again).toMatchObject({ isAlreadyMerged: true, commit: merged });
    await repo.workspaces.applyMerge(task, again);
    expect(git('rev-parse', 'main')).toBe(merged);
    expect(onMain('Merge moved')).toBeLessThanOrEqual(1);
    expect(onMain('Work of moved')).toBe(1);
  });

  it('after a refused candidate was absorbed: the re-run merges the task branch as it is now', async () => {
    const task = await committedTask('absorbed');
    await repo.workspaces.merge(await committedTask('ahead'));
    const refused = await repo.workspaces.planMerge(task, 'Merge absorbed');
    expect(refused).toMatchObject({ isFastForward: false, isAlreadyMerged: false });
    await repo.workspaces.absorbMerge(task, refused);
    // Absorbing again (the step ran again before it recorded the verdict) fails as stale or
    // does nothing; either way the branch holds the candidate once.
    await repo.workspaces.absorbMerge(task, refused).catch(() => undefined);
    expect(git('rev-parse', `cadre/task-absorbed`)).toBe(refused.commit);

    const next = await repo.workspaces.planMerge(task, 'Merge absorbed');
    expect(next).toMatchObject({ isFastForward: true, commit: refused.commit });
    await repo.workspaces.applyMerge(task, next);
    expect(git('rev-parse', 'main')).toBe(refused.commit);
    expect(onMain('Work of absorbed')).toBe(1);
  });
});
