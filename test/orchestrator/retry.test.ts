// Retrying failed and cancelled tasks through the real parts (Postgres, scripted models,
// bubblewrap, git): from the failed step with the work before it kept, from the start on a
// fresh branch, and a task cancelled while its agent ran. The models start with empty scripts;
// each test queues the turns it needs, so a call a retry should not make fails loudly.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import { cancelChannel, cancelTask, createTask, retryTask } from '../../src/orchestrator/index.js';
import { call, createOrchestra, finish, type Orchestra } from '../helpers/orchestra.js';
import { waitFor } from '../helpers/wait.js';

let orchestra: Orchestra;
beforeAll(async () => {
  orchestra = await createOrchestra({
    scripts: { planner: [], developer: [], reviewer: [], tester: [] },
  });
}, 60_000);
afterAll(() => orchestra?.close());

const noSink = () => undefined;
const principal = (orgId: string) =>
  ({ orgId, kind: 'api-key', userId: null, credentialId: 'test-key' }) as const;

/** The turns of gates that pass: a review that approves, a test run that passes. */
function passingGates() {
  orchestra.models.reviewer!.push(finish('Looks right.', { approved: true, feedback: '' }));
  orchestra.models.tester!.push(
    { toolCalls: [call('run_tests', {})] },
    finish('Tests pass.', { passed: true, report: '1 passed' }),
  );
}

const writeAndCommit = (path: string, content: string, summary: string) => [
  { toolCalls: [call('write_file', { path, content })] },
  { toolCalls: [call('git_commit', { message: summary })] },
  finish(summary),
];

async function stepsOf(taskId: string) {
  return orchestra.database.db
    .select()
    .from(tables.steps)
    .where(eq(tables.steps.taskId, taskId))
    .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key));
}

async function eventsOf(taskId: string) {
  return orchestra.database.db
    .select()
    .from(tables.events)
    .where(eq(tables.events.taskId, taskId))
    .orderBy(asc(tables.events.seq));
}

function git(projectId: string, ...args: string[]) {
  const repo = join(orchestra.dataDir, 'workspaces', projectId, 'repo.git');
  return execFileSync('git', ['--git-dir', repo, ...args], {
    env: { PATH: process.env.PATH, GIT_CONFIG_GLOBAL: '/dev/null' },
  }).toString();
}

/** What a model call was asked: its whole prompt as text. */
const promptOf = (callOptions: { prompt: unknown }) => JSON.stringify(callOptions.prompt);

describe('retrying a task', () => {
  it('from its failed step runs that step again and keeps the finished one with its commit', async () => {
    const { database, models } = orchestra;
    const owner = await orchestra.seedProject('retry-failed');
    models.planner!.push(
      finish('Two steps.', {
        steps: [
          { key: 'impl', role: 'developer', goal: 'Add add(a, b) to src/math.js' },
          { key: 'docs', role: 'developer', goal: 'Document add()', dependsOn: ['impl'] },
        ],
      }),
    );
    // impl succeeds; docs then finds the developer's model broken (its script has run out).
    models.developer!.push(
      ...writeAndCommit('src/math.js', 'exports.add = (a, b) => a + b;\n', 'Add add()'),
    );
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add() and document it' },
    });
    const failed = await orchestra.finished(task.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/step\.docs/);
    const before = await stepsOf(task.id);
    const impl = before.find((step) => step.key === 'step.impl')!;
    expect(impl).toMatchObject({ status: 'done', attempts: 1 });
    expect(before.find((step) => step.key === 'step.docs')).toMatchObject({ status: 'dead' });
    const plannerCalls = models.planner!.calls.length;
    const developerCalls = models.developer!.calls.length;

    // The model is fixed; the task is retried from where it failed.
    models.developer!.push(...writeAndCommit('docs/add.md', 'add(a, b) adds.\n', 'Document add()'));
    passingGates();
    const retried = await retryTask(database.db, noSink, {
      orgId: owner.orgId,
      taskId: task.id,
      principal: principal(owner.orgId),
    });
    expect(retried).toMatchObject({ status: 'running', error: null, attempt: 2, finishedAt: null });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done', error: null });

    // Neither the planner nor impl ran again: every developer call after the retry is docs'.
    expect(models.planner!.calls).toHaveLength(plannerCalls);
    const rerunCalls = models.developer!.calls.slice(developerCalls);
    expect(rerunCalls).toHaveLength(3);
    for (const rerun of rerunCalls) expect(promptOf(rerun)).toContain('step.docs');
    const after = await stepsOf(task.id);
    const current = after.filter((step) => step.status !== 'superseded');
    expect(current.find((step) => step.key === 'step.impl')).toEqual(impl);
    const docs = after.filter((step) => step.key === 'step.docs');
    expect(docs.map((step) => [step.status, step.attempt, step.attempts])).toEqual([
      ['superseded', 1, 3],
      ['done', 2, 1],
    ]);
    // The failed attempt's errors stay on its row.
    expect(docs[0]!.attemptErrors).toHaveLength(3);

    // impl's commit is in main once, with docs' on top of it.
    const log = git(owner.projectId, 'log', '--format=%s', 'main');
    expect(log.match(/^Add add\(\)$/gm)).toHaveLength(1);
    expect(log).toMatch(/^Document add\(\)$/m);
    expect(git(owner.projectId, 'show', 'main:docs/add.md')).toBe('add(a, b) adds.\n');

    const retriedEvent = (await eventsOf(task.id)).find((event) => event.type === 'task-retried');
    expect(retriedEvent?.data).toMatchObject({
      attempt: 2,
      from: 'step.docs',
      previousStatus: 'failed',
      rerun: ['step.docs'],
      isDescriptionChanged: false,
    });
    expect((retriedEvent?.data as { error: string }).error).toMatch(/step\.docs/);
    const [audit] = await database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.targetId, task.id));
    expect(audit).toMatchObject({ action: 'task-retried', actorId: 'test-key' });

    // A done task cannot be retried, and the refusal changes nothing.
    const eventCount = (await eventsOf(task.id)).length;
    const refusal = await retryTask(database.db, noSink, {
      orgId: owner.orgId,
      taskId: task.id,
      principal: principal(owner.orgId),
    }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(CadreError);
    expect(refusal).toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/is done/),
    });
    expect(await eventsOf(task.id)).toHaveLength(eventCount);
    expect(await stepsOf(task.id)).toEqual(after);
  }, 120_000);

  it('from the start plans the edited description again on a fresh branch, keeping the old one', async () => {
    const { database, models } = orchestra;
    const owner = await orchestra.seedProject('retry-start');
    models.planner!.push(
      finish('Two steps.', {
        steps: [
          { key: 'notes', role: 'developer', goal: 'Write notes' },
          { key: 'code', role: 'developer', goal: 'Write the code', dependsOn: ['notes'] },
        ],
      }),
    );
    models.developer!.push(...writeAndCommit('notes.txt', 'a wrong idea\n', 'Take notes'));
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Do something vague' },
    });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'failed' });
    const oldSteps = await stepsOf(task.id);

    models.planner!.push(
      finish('One step.', {
        steps: [{ key: 'impl', role: 'developer', goal: 'Add add(a, b) to src/math.js' }],
      }),
    );
    models.developer!.push(
      ...writeAndCommit('src/math.js', 'exports.add = (a, b) => a + b;\n', 'Add add()'),
    );
    passingGates();
    const plannerCalls = models.planner!.calls.length;
    const retried = await retryTask(database.db, noSink, {
      orgId: owner.orgId,
      taskId: task.id,
      fromStep: 'start',
      description: 'Add an add(a, b) function to src/math.js',
      principal: principal(owner.orgId),
      workspaces: orchestra.workspaces,
    });
    expect(retried).toMatchObject({
      status: 'queued',
      attempt: 2,
      plan: null,
      description: 'Add an add(a, b) function to src/math.js',
    });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });

    // Planned again, from the edited description.
    expect(models.planner!.calls).toHaveLength(plannerCalls + 1);
    expect(promptOf(models.planner!.calls.at(-1)!)).toContain('Add an add(a, b) function');
    // Every row of the first attempt is kept, superseded; the second attempt's are its own.
    const after = await stepsOf(task.id);
    const first = after.filter((step) => oldSteps.some((old) => old.id === step.id));
    expect(first.map((step) => step.status)).toEqual(oldSteps.map(() => 'superseded'));
    const second = after.filter((step) => step.attempt === 2);
    expect(second.map((step) => step.key)).toEqual(
      expect.arrayContaining(['plan.0', 'step.impl', 'review.0', 'test.0', 'merge']),
    );
    expect(second.every((step) => step.status === 'done')).toBe(true);

    // The first attempt's branch is kept under its ref; its notes never reached main.
    const ref = `refs/cadre/attempts/${task.id}/1`;
    expect(git(owner.projectId, 'show', `${ref}:notes.txt`)).toBe('a wrong idea\n');
    expect(git(owner.projectId, 'ls-tree', '--name-only', 'main')).not.toMatch(/notes\.txt/);
    expect(git(owner.projectId, 'show', 'main:src/math.js')).toContain('a + b');
  }, 120_000);

  it('of a cancelled task runs the step that did not finish, fresh', async () => {
    const { database, models } = orchestra;
    const owner = await orchestra.seedProject('retry-cancelled');
    models.planner!.push(
      finish('One step.', {
        steps: [{ key: 'impl', role: 'developer', goal: 'Add add(a, b) to src/math.js' }],
      }),
    );
    models.developer!.push({
      toolCalls: [call('run_command', { argv: ['sleep', '60'], timeoutSeconds: 120 })],
    });
    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: { projectId: owner.projectId, description: 'Add add()' },
    });
    await waitFor(
      'the developer to start its command',
      async () =>
        (await eventsOf(task.id)).some(
          (event) =>
            event.type === 'tool-call-start' &&
            (event.data as { tool?: string }).tool === 'run_command',
        ),
      30_000,
    );
    await cancelTask(database.db, owner.orgId, task.id);
    await orchestra.bus.broadcast(cancelChannel, { taskId: task.id });
    await waitFor('the running step to stop', async () =>
      (await stepsOf(task.id)).every((step) => step.status !== 'running'),
    );

    models.developer!.push(
      ...writeAndCommit('src/math.js', 'exports.add = (a, b) => a + b;\n', 'Add add()'),
    );
    passingGates();
    const developerCalls = models.developer!.calls.length;
    const retried = await retryTask(database.db, noSink, {
      orgId: owner.orgId,
      taskId: task.id,
      principal: principal(owner.orgId),
    });
    expect(retried).toMatchObject({ status: 'running', attempt: 2 });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done' });
    // The fresh step started a new transcript: it did not resume the cancelled command.
    expect(models.developer!.calls).toHaveLength(developerCalls + 3);
    const impl = (await stepsOf(task.id)).filter((step) => step.key === 'step.impl');
    expect(impl.map((step) => step.status)).toEqual(['superseded', 'done']);
    expect(git(owner.projectId, 'show', 'main:src/math.js')).toContain('a + b');
  }, 120_000);
});
