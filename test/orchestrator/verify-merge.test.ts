// Cadre runs the project's tests itself, in the sandbox, on the merge result before the base
// moves. A tester's "passed" is not enough, and neither is a branch that passes alone while
// the base moved under it: only a green merge result reaches main, after a fix round that got
// the failing output.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { describeEvent } from '../../src/orchestrator/event-text.js';
import { createTask, decideApproval, listApprovals } from '../../src/orchestrator/index.js';
import { call, createOrchestra, finish, type Orchestra } from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';

const plan = finish('One step.', {
  summary: 'Add add()',
  steps: [{ key: 'impl', role: 'developer', goal: 'Add add() to src/math.js' }],
});
const approve = finish('Looks right.', { approved: true, feedback: '' });
const claimPassed = finish('Tests pass.', { passed: true, report: 'all green' });

let orchestra: Orchestra | undefined;
afterEach(async () => {
  await orchestra?.close();
  orchestra = undefined;
});

/** A seeded project whose merges wait for a human, so the test can look before each one. */
async function seed(name: string) {
  const owner = await orchestra!.seedProject(name);
  await orchestra!.database.db
    .update(tables.projects)
    .set({ approveBeforeMerge: true })
    .where(eq(tables.projects.id, owner.projectId));
  const repo = join(orchestra!.dataDir, 'workspaces', owner.projectId, 'repo.git');
  const git = (...args: string[]) =>
    execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' }).trim();
  return { ...owner, git };
}

/** Waits for the task's next merge approval and approves it. */
async function approveMerge(orgId: string, taskId: string) {
  const db = orchestra!.database.db;
  const approval = await waitFor(
    'a merge approval',
    async () =>
      (await listApprovals(db, orgId, { status: 'pending' })).find(
        (row) => row.taskId === taskId && row.kind === 'merge',
      ),
    60_000,
  );
  await decideApproval(db, () => undefined, orgId, approval.id, {
    isApproved: true,
    decidedBy: 'ops',
  });
}

async function eventsOf(taskId: string) {
  return orchestra!.database.db
    .select()
    .from(tables.events)
    .where(eq(tables.events.taskId, taskId))
    .orderBy(asc(tables.events.seq));
}

/** Runs main's own tests on the host, from a plain export of its tree. */
async function mainPassesItsTests(git: (...args: string[]) => string) {
  const folder = await mkdtemp(join(tmpdir(), 'cadre-main-'));
  try {
    execFileSync('sh', [
      '-c',
      `git --git-dir "$0" archive main | tar -x -C "$1"`,
      git('rev-parse', '--git-dir'),
      folder,
    ]);
    execFileSync('node', ['test.js'], { cwd: folder, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe('verifying before merging', () => {
  it('does not merge what breaks the tests although the tester said "passed", and merges the fix', async () => {
    orchestra = await createOrchestra({
      scripts: {
        planner: [plan],
        developer: [
          // Broken: the project's test expects add(2, 3) to be 5.
          {
            toolCalls: [
              call('write_file', {
                path: 'src/math.js',
                content: 'exports.add = (a, b) => a - b;\n',
              }),
            ],
          },
          { toolCalls: [call('git_commit', { message: 'Add add()' })] },
          finish('Added add().'),
          // The fix round, once Cadre's own run failed.
          {
            toolCalls: [
              call('edit_file', { path: 'src/math.js', oldText: 'a - b', newText: 'a + b' }),
            ],
          },
          { toolCalls: [call('run_tests', {})] },
          { toolCalls: [call('git_commit', { message: 'Fix add()' })] },
          finish('Fixed add().'),
        ],
        reviewer: [approve, approve],
        // The tester runs the tests, sees them fail, and claims they passed.
        tester: [{ toolCalls: [call('run_tests', {})] }, claimPassed, claimPassed],
      },
    });
    const { database } = orchestra;
    const owner = await seed('claims');
    const start = owner.git('rev-parse', 'main');
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add(a, b)' },
    });

    await approveMerge(owner.orgId, task.id);
    // Cadre's run failed on the merge result: main did not move, and the developer got the output.
    const fixStep = await waitFor('the fix round', async () => {
      const [row] = await database.db
        .select()
        .from(tables.steps)
        .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.key, 'fix.1')));
      return row;
    });
    expect(fixStep.goal).toContain('npm test');
    expect(fixStep.goal).toContain('add is wrong');
    const failed = (await eventsOf(task.id)).find((event) => event.type === 'verification-failed');
    expect(failed?.data).toMatchObject({
      command: 'npm test',
      source: 'package.json',
      exitCode: 1,
    });
    expect((failed?.data as { tail: string }).tail).toContain('add is wrong');
    // As `cadre task watch` and the web app's activity show it.
    expect(
      describeEvent({ type: failed!.type, data: failed!.data as Record<string, unknown> }),
    ).toBe('tests failed on the merge result (npm test, exit 1): add is wrong');
    expect(owner.git('rev-parse', 'main')).toBe(start);

    // The second merge waits for approval after the fix: main has still not moved.
    await approveMerge(owner.orgId, task.id);
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done', error: null });
    expect(owner.git('show', 'main:src/math.js')).toBe('exports.add = (a, b) => a + b;');
    expect(await mainPassesItsTests(owner.git)).toBe(true);
    expect(JSON.stringify(orchestra.models.developer!.calls)).toContain('add is wrong');

    const types = (await eventsOf(task.id)).map((event) => event.type);
    expect(types.indexOf('verification-failed')).toBeLessThan(types.indexOf('verification-passed'));
    expect(types.indexOf('verification-passed')).toBeLessThan(types.indexOf('task-merged'));

    // Both of Cadre's own runs are accounted to the merge steps that made them.
    const merges = await database.db
      .select({ id: tables.steps.id })
      .from(tables.steps)
      .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.kind, 'merge')));
    const runs = await database.db
      .select()
      .from(tables.sandboxRuns)
      .where(eq(tables.sandboxRuns.taskId, task.id));
    const verifications = runs.filter((run) => merges.some((merge) => merge.id === run.stepId));
    expect(verifications.map((run) => [run.command, run.exitCode])).toEqual(
      expect.arrayContaining([
        [['npm', 'test'], 1],
        [['npm', 'test'], 0],
      ]),
    );
    // The throwaway checkouts are gone.
    expect(owner.git('worktree', 'list')).not.toContain('checkout-');
  }, 120_000);

  it('tests the merge result, so a base that moved meanwhile and breaks the task is caught', async () => {
    orchestra = await createOrchestra({
      scripts: {
        planner: [plan],
        developer: [
          {
            toolCalls: [
              call('write_file', {
                path: 'src/math.js',
                content: 'exports.add = (a, b) => a + b;\n',
              }),
            ],
          },
          { toolCalls: [call('run_tests', {})] },
          { toolCalls: [call('git_commit', { message: 'Add add()' })] },
          finish('Added add().'),
          // The fix round: the branch now holds the base's new test, which add() must pass.
          {
            toolCalls: [
              call('write_file', {
                path: 'src/math.js',
                content: 'exports.add = (...numbers) => numbers.reduce((sum, n) => sum + n, 0);\n',
              }),
            ],
          },
          { toolCalls: [call('run_tests', {})] },
          { toolCalls: [call('git_commit', { message: 'Sum every argument' })] },
          finish('add() sums every argument.'),
        ],
        reviewer: [approve, approve],
        tester: [
          { toolCalls: [call('run_tests', {})] },
          claimPassed,
          { toolCalls: [call('run_tests', {})] },
          claimPassed,
        ],
      },
    });
    const { database, workspaces } = orchestra;
    const owner = await seed('upstream');
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add(a, b)' },
    });
    await waitFor(
      'the merge to wait for approval',
      async () => (await eventsOf(task.id)).some((event) => event.type === 'gates-passed'),
      60_000,
    );

    // Upstream, main gets a test that the task's add() fails; no line of the two changes conflicts.
    const upstream = { projectId: owner.projectId, taskId: 'upstream' };
    await workspaces.createTaskWorktree(upstream);
    const test = await workspaces.readFile(upstream, 'test.js');
    await workspaces.writeFile(
      upstream,
      'test.js',
      `${test}if (add(1, 2, 3) !== 6) { console.error('add must sum all its arguments'); process.exit(1); }\n`,
    );
    await workspaces.merge(upstream, 'Require add() to sum all its arguments');
    const movedMain = owner.git('rev-parse', 'main');

    await approveMerge(owner.orgId, task.id);
    const failed = await waitFor('the failed verification', async () =>
      (await eventsOf(task.id)).find((event) => event.type === 'verification-failed'),
    );
    expect((failed.data as { tail: string }).tail).toContain('add must sum all its arguments');
    expect(owner.git('rev-parse', 'main')).toBe(movedMain);
    // The task's branch now holds the tested merge, so the fix starts from the new base.
    expect(owner.git('show', `cadre/task-${task.id}:test.js`)).toContain('sum all its arguments');

    await approveMerge(owner.orgId, task.id);
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done', error: null });
    expect(owner.git('merge-base', '--is-ancestor', movedMain, 'main')).toBe('');
    expect(owner.git('show', 'main:src/math.js')).toContain('numbers.reduce');
    expect(await mainPassesItsTests(owner.git)).toBe(true);
  }, 120_000);

  it('does not merge a project with no test command until the project allows it', async () => {
    orchestra = await createOrchestra({
      scripts: {
        planner: [plan, plan],
        developer: [
          {
            toolCalls: [call('write_file', { path: 'NOTES.md', content: 'notes\n' })],
          },
          { toolCalls: [call('git_commit', { message: 'Notes' })] },
          finish('Wrote notes.'),
          { toolCalls: [call('write_file', { path: 'NOTES.md', content: 'more notes\n' })] },
          { toolCalls: [call('git_commit', { message: 'More notes' })] },
          finish('Wrote more notes.'),
        ],
        reviewer: [approve, approve],
        tester: [claimPassed, claimPassed],
      },
    });
    const { database, workspaces } = orchestra;
    const owner = await seed('untested');
    // The seeded project's only test script is removed from main.
    const setup = { projectId: owner.projectId, taskId: 'setup' };
    await workspaces.createTaskWorktree(setup);
    await workspaces.writeFile(setup, 'package.json', '{"name":"untested"}');
    await workspaces.merge(setup, 'No test script');
    const start = owner.git('rev-parse', 'main');

    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Write notes' },
    });
    await approveMerge(owner.orgId, task.id);
    const row = await orchestra.finished(task.id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain('No test command is set on the project and none was detected');
    expect(row.error).toContain('--test-command');
    expect((await eventsOf(task.id)).map((event) => event.type)).toContain('verification-missing');
    expect(owner.git('rev-parse', 'main')).toBe(start);

    // Once the project allows it, the merge goes ahead unverified, and the events say so.
    await database.db
      .update(tables.projects)
      .set({ allowUntestedMerge: true })
      .where(eq(tables.projects.id, owner.projectId));
    const allowed = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Write more notes' },
    });
    await approveMerge(owner.orgId, allowed.id);
    expect(await orchestra.finished(allowed.id)).toMatchObject({ status: 'done' });
    const skipped = (await eventsOf(allowed.id)).find(
      (event) => event.type === 'verification-skipped',
    );
    expect((skipped?.data as { reason: string }).reason).toContain('allows merging unverified');
    expect(owner.git('show', 'main:NOTES.md')).toBe('more notes');
  }, 120_000);
});
