// One merge of a project at a time: merges whose test runs overlap would each find the base
// moved under them and test again, and a busy project could fail a task that lost every race
// (the chaos benchmark saw it: "refs/heads/main moved while merging"). With the merge lock a
// second merge waits for the first, and each candidate is tested once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadreError } from '../../src/errors/index.js';
import { createMergeLock } from '../../src/orchestrator/index.js';
import { verifyAndMerge } from '../../src/orchestrator/verify-merge.js';
import { createOrchestra, type Orchestra } from '../helpers/orchestra.js';

let orchestra: Orchestra;
beforeAll(async () => {
  orchestra = await createOrchestra({ scripts: {}, runsWorker: false });
}, 60_000);
afterAll(async () => {
  await orchestra?.close();
});

/** Two tasks of a fresh project, each with one commit of its own file, ready to merge. */
async function twoTasks(name: string) {
  const owner = await orchestra.seedProject(name);
  const tasks = ['a', 'b'].map((key) => ({ projectId: owner.projectId, taskId: `${name}-${key}` }));
  for (const task of tasks) {
    await orchestra.workspaces.createTaskWorktree(task);
    await orchestra.workspaces.writeFile(task, `${task.taskId}.txt`, 'work\n');
    await orchestra.workspaces.commit(task, `Work of ${task.taskId}`);
  }
  return { owner, tasks };
}

/** Both merges at once, each allowed no race: a base that moved under its test run fails it. */
function mergeBoth(
  { owner, tasks }: Awaited<ReturnType<typeof twoTasks>>,
  mergeLock?: ReturnType<typeof createMergeLock>,
) {
  return Promise.allSettled(
    tasks.map((task) =>
      verifyAndMerge({
        workspaces: orchestra.workspaces,
        task,
        message: `Merge ${task.taskId}`,
        stepId: `merge-${task.taskId}`,
        orgId: owner.orgId,
        // Slow enough that two runs started together overlap.
        project: {
          testCommand: 'sleep 1 && node test.js',
          allowUntestedMerge: false,
          hasNetwork: false,
          approveNetworkCommands: false,
        },
        maxRaces: 1,
        mergeLock,
      }),
    ),
  );
}

describe('merges of one project', () => {
  it('race without the lock: the second finds the base moved and fails', async () => {
    const results = await mergeBoth(await twoTasks('unlocked'));
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(CadreError);
    expect((failures[0] as CadreError).code).toBe('CONFLICT');
  }, 60_000);

  it('take turns with the lock: both merge, each tested once', async () => {
    const lock = createMergeLock(orchestra.database.pool, { pollMs: 50 });
    const results = await mergeBoth(await twoTasks('locked'), lock);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      expect(result.value.merged).not.toBeNull();
      expect(result.value.verification).toMatchObject({ status: 'passed' });
    }
  }, 60_000);
});
