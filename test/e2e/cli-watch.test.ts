// The built `cadre` command watching tasks and deciding approvals against an API listening on
// loopback. The test moves each task through the state machine itself (as workers would)
// while the CLI watches, and checks what a person would see and the exit code.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { afterWork, appendEvent, cancelTask } from '../../src/orchestrator/index.js';
import { bearer, createTaskThroughApi, createTestApp, type TestApp } from '../helpers/app.js';
import {
  driveGates,
  driveMerge,
  drivePlan,
  finishStep,
  pendingApproval,
} from '../helpers/drive-task.js';
import { waitFor } from '../helpers/wait.js';
import { assertBuilt, cliEnv, runCli, spawnCli } from './cli-process.js';

let t: TestApp;
let url: string;
let orgId: string;
let projectId: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  t = await createTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  orgId = (await t.app.inject({ url: '/api/auth/me', headers: bearer(t.adminKey) })).json().orgId;
  const project = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: 'watched' },
  });
  projectId = project.json().id;
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await t?.close();
});

const env = () => cliEnv({ CADRE_URL: url, CADRE_API_KEY: t.adminKey });

/** Starts `cadre <args>` and collects its output until it exits. */
function start(args: string[]) {
  const child = spawnCli(args, { env: env() });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { output, exited };
}

const newTask = (description: string) => createTaskThroughApi(t, projectId, description);

describe('cadre task watch and cadre approval', () => {
  it('shows a task from plan to merge, with an approval decided from the CLI, and exits 0', async () => {
    const taskId = await newTask('Add a /health route');
    const watch = start(['task', 'watch', taskId]);
    await waitFor('the watcher to show the queued planner', () =>
      watch.output.stdout.includes('plan.0 queued for the planner'),
    );

    // What the conductor records while an agent works, then a ledger row for its spend.
    const db = t.database.db;
    await drivePlan(db, taskId);
    const event = (type: string, data: Record<string, unknown>) =>
      db.transaction((tx) => appendEvent(tx, { orgId, taskId, type, data }));
    await event('step-started', { key: 'step.build', role: 'developer', attempt: 1 });
    await event('agent-turn', {
      key: 'step.build',
      turn: 1,
      model: 'scripted/one',
      toolCalls: ['write_file'],
      costUsd: 0.0125,
    });
    await db.insert(tables.llmCalls).values({
      orgId,
      taskId,
      provider: 'scripted',
      model: 'scripted/one',
      costUsd: '0.0125',
      status: 'ok',
    });
    await event('step-done', { key: 'step.build', role: 'developer', summary: 'Added the route' });
    await finishStep(db, taskId, 'step.build', null, (tx, task) =>
      afterWork(tx, () => undefined, task, null),
    );
    await driveGates(db, taskId, { isHeld: true });
    const approvalId = await pendingApproval(db, orgId, taskId);
    await waitFor('the watcher to show the approval request', () =>
      watch.output.stdout.includes('approval requested (merge)'),
    );

    const listed = await runCli(['approval', 'list', '--task', taskId], { env: env() });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+TASK\s+KIND\s+STATUS\s+QUESTION\n/);
    expect(listed.stdout).toContain(`${approvalId}  ${taskId}  merge  pending`);

    const approved = await runCli(['approval', 'approve', approvalId, '--answer', 'Ship it'], {
      env: env(),
    });
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toBe(`Approved the merge approval ${approvalId} of task ${taskId}.\n`);
    const twice = await runCli(['approval', 'reject', approvalId], { env: env() });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('INVALID_STATE');
    const none = await runCli(['approval', 'list', '--task', taskId], { env: env() });
    expect(none.stdout).toBe('No approvals waiting.\n');

    await waitFor('the watcher to show the approval', () =>
      watch.output.stdout.includes('merge approval approved'),
    );
    await driveMerge(db, taskId);
    expect(await watch.exited).toBe(0);

    const lines = watch.output.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.replace(/^\d\d:\d\d:\d\d {2}/, ''));
    expect(lines).toEqual([
      'task created',
      'plan.0 queued for the planner',
      'plan accepted: 1 steps. Build it.',
      'task running',
      'developer started step.build',
      '  step.build turn 1: scripted/one, $0.0125 → write_file',
      'developer finished step.build: Added the route',
      'review and tests queued (round 0)',
      'review and tests passed (round 0)',
      `approval requested (merge); see: cadre approval list --task ${taskId}`,
      'task waiting',
      'merge approval approved',
      'task running',
      'merged as abc123',
      'task done',
      `Task ${taskId} done: Add a /health route`,
      '  steps  4 of 4 done',
      '  spend  $0.0125',
      // Where the work went: the project's repository, served by Cadre.
      expect.stringMatching(
        /^ {2}result http:\/\/127\.0\.0\.1:\d+\/git\/default\/[0-9a-f-]+\.git \(branch main at abc123\)$/,
      ),
    ]);
    expect(watch.output.stderr).toBe('');
  });

  it('creates a task with --watch --json, is cancelled from the CLI, and exits 1', async () => {
    const watch = start([
      'task',
      'create',
      'Rename the settings page',
      '--project',
      'watched',
      '--watch',
      '--json',
    ]);
    const created = await waitFor('the created task', () => {
      const first = watch.output.stdout.split('\n')[0];
      return watch.output.stdout.includes('\n') ? JSON.parse(first!) : null;
    });
    const taskId = created.task.id as string;
    expect(created.task).toMatchObject({ status: 'queued', progress: { done: 0, total: 0 } });
    await waitFor('the first events', () => watch.output.stdout.includes('"step-queued"'));

    const cancelled = await runCli(['task', 'cancel', taskId], { env: env() });
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe(`Cancelled task ${taskId}: Rename the settings page\n`);
    expect(await watch.exited).toBe(1);

    const lines = watch.output.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(1, -1).map((line) => line.event.type)).toEqual([
      'task-created',
      'step-queued',
      'task-cancelled',
    ]);
    expect(lines.at(-1)).toMatchObject({
      summary: { task: { id: taskId, status: 'cancelled' }, spendUsd: 0 },
    });

    const again = await runCli(['task', 'cancel', taskId], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already cancelled');
  });

  it('watches a task that failed before the watcher started and exits 1 at once', async () => {
    const taskId = await newTask('Too late to watch');
    await cancelTask(t.database.db, orgId, taskId);
    const watched = await runCli(['task', 'watch', taskId], { env: env() });
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain('task cancelled');
    expect(watched.stdout).toContain(`Task ${taskId} cancelled: Too late to watch`);

    const missing = await runCli(['task', 'watch', '00000000-0000-4000-8000-000000000000'], {
      env: env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('retries a cancelled task from the CLI and watches the new attempt to its end', async () => {
    const taskId = await newTask('Add a /ready route');
    const db = t.database.db;
    await drivePlan(db, taskId);
    await cancelTask(db, orgId, taskId);

    const unknown = await runCli(['task', 'retry', taskId, '--from-step', 'step.nope'], {
      env: env(),
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('VALIDATION_FAILED');
    expect(unknown.stderr).toContain('no step "step.nope"');

    const watch = start([
      'task',
      'retry',
      taskId,
      '--description',
      'Add a /ready route, fast',
      '--watch',
    ]);
    await waitFor('the watcher to show the retry', () =>
      watch.output.stdout.includes('task retried from step.build (attempt 2)'),
    );
    // A watcher of the whole log goes past the first attempt's end, to the task's own.
    const whole = start(['task', 'watch', taskId]);
    await waitFor('the second watcher to show the retry', () =>
      whole.output.stdout.includes('task retried'),
    );
    await finishStep(db, taskId, 'step.build', null, (tx, task) =>
      afterWork(tx, () => undefined, task, null),
    );
    await driveGates(db, taskId, { isHeld: false });
    await driveMerge(db, taskId);
    expect(await watch.exited).toBe(0);
    expect(await whole.exited).toBe(0);
    expect(whole.output.stdout).toMatch(/task cancelled\n[\s\S]*task retried[\s\S]*task done\n/);
    const lines = watch.output.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.replace(/^\d\d:\d\d:\d\d {2}/, ''));
    // Only the new attempt: the earlier one's cancellation does not end the watch.
    expect(lines).toEqual([
      `Retried task ${taskId} (attempt 2). Watching it (Ctrl+C stops watching, not the task).`,
      'task retried from step.build (attempt 2)',
      'task running',
      'review and tests queued (round 0)',
      'review and tests passed (round 0)',
      'merged as abc123',
      'task done',
      `Task ${taskId} done: Add a /ready route`,
      '  steps  4 of 4 done',
      '  spend  $0.0000',
      // Where the work went: the project's repository, served by Cadre.
      expect.stringMatching(
        /^ {2}result http:\/\/127\.0\.0\.1:\d+\/git\/default\/[0-9a-f-]+\.git \(branch main at abc123\)$/,
      ),
    ]);

    const again = await runCli(['task', 'retry', taskId], { env: env() });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is done; only a failed or cancelled task can be retried');
  });
});
