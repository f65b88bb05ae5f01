// A whole task through the real parts: Postgres, the gateway with scripted models (one per
// role), bubblewrap running the project's tests, git worktrees per step. Plan → implement →
// a review that fails once → a fix → gates pass → merge, ending with the commit on main.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/bus/index.js';
import { tables } from '../../src/db/index.js';
import { createTask, getDelivery } from '../../src/orchestrator/index.js';
import {
  call,
  createOrchestra,
  finish,
  oneTaskScript,
  type Orchestra,
} from '../helpers/orchestra.js';

// One task's plan and first implementation, then a fix round after the review.
const { planner, developer } = oneTaskScript();
const scripts = {
  planner,
  developer: [
    ...developer,
    // The fix round, after the review asked for input checks.
    {
      toolCalls: [
        call('edit_file', {
          path: 'src/math.js',
          oldText: '(a, b) => a + b',
          newText:
            "(a, b) => {\n  if (typeof a !== 'number' || typeof b !== 'number') throw new TypeError('numbers only');\n  return a + b;\n}",
        }),
      ],
    },
    { toolCalls: [call('git_commit', { message: 'Check the inputs of add()' })] },
    finish('Inputs are checked.'),
  ],
  reviewer: [
    finish('Needs input checks.', {
      approved: false,
      feedback: 'src/math.js: reject non-numbers.',
    }),
    finish('Good now.', { approved: true, feedback: '' }),
  ],
  tester: [
    { toolCalls: [call('run_tests', {})] },
    finish('Tests pass.', { passed: true, report: 'ok' }),
    { toolCalls: [call('run_tests', {})] },
    finish('Tests pass.', { passed: true, report: 'ok' }),
  ],
};

let orchestra: Orchestra;
beforeAll(async () => {
  orchestra = await createOrchestra({ scripts });
}, 60_000);
afterAll(() => orchestra?.close());

describe('a whole task', () => {
  it('is planned, implemented, tested in the sandbox, reviewed twice and merged into main', async () => {
    const { database } = orchestra;
    const owner = await orchestra.seedProject('math');
    const published: BusMessage[] = [];
    await orchestra.bus.subscribe(
      `org.${owner.orgId}.task.*`,
      (message) => void published.push(message),
    );

    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: {
        projectId: owner.projectId,
        description: 'Add an add(a, b) function with input checks',
      },
    });
    expect(await orchestra.finished(task.id)).toMatchObject({ status: 'done', error: null });

    const repo = join(orchestra.dataDir, 'workspaces', owner.projectId, 'repo.git');
    const show = (...args: string[]) =>
      execFileSync('git', ['--git-dir', repo, ...args]).toString();
    expect(show('show', 'main:src/math.js')).toContain("throw new TypeError('numbers only')");
    // The base moves by one merge commit whose second parent carries the task's commits in order.
    expect(show('log', '--first-parent', '--format=%s', 'main')).toMatch(/^Merge task: .*\nStart/);
    expect(show('log', '--format=%s', 'main^2')).toMatch(
      /Check the inputs of add\(\)[\s\S]*Add add\(\)[\s\S]*Start/,
    );
    // Where the result went is recorded: main of Cadre's own repository, at its new head.
    expect(await getDelivery(database.db, owner.orgId, task.id)).toEqual({
      mode: 'local',
      branch: 'main',
      commit: show('rev-parse', 'main').trim(),
    });

    const events = await database.db
      .select()
      .from(tables.events)
      .where(eq(tables.events.taskId, task.id))
      .orderBy(asc(tables.events.seq));
    const types = events.map((event) => event.type);
    for (const type of [
      'task-planning',
      'plan-accepted',
      'task-running',
      'gate-failed',
      'gates-passed',
      'task-merged',
      'task-done',
    ]) {
      expect(types).toContain(type);
    }
    expect(types.indexOf('gate-failed')).toBeLessThan(types.indexOf('gates-passed'));
    expect(published.map((message) => (message.payload as { type: string }).type)).toContain(
      'task-done',
    );

    // The tests really ran in the sandbox, and each run was accounted to the task's steps.
    const turns = await database.db.select().from(tables.agentTurns);
    expect(JSON.stringify(turns.map((turn) => turn.entry))).toContain('1 passed');
    const runs = await database.db
      .select()
      .from(tables.sandboxRuns)
      .where(eq(tables.sandboxRuns.taskId, task.id));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const model of Object.values(orchestra.models)) expect(model.remaining).toBe(0);

    // Each role's agent worked and is idle again, with a recent heartbeat.
    const agents = await database.db
      .select()
      .from(tables.agents)
      .where(eq(tables.agents.orgId, owner.orgId));
    expect([...new Set(agents.map((agent) => agent.role))].sort()).toEqual([
      'developer',
      'devops',
      'planner',
      'reviewer',
      'tester',
    ]);
    for (const agent of agents)
      expect(agent).toMatchObject({ status: 'idle', currentStepId: null });
  }, 90_000);
});
