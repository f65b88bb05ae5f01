// A whole task through the real parts: Postgres, the gateway with scripted models (one per
// role), bubblewrap running the project's tests, git worktrees per step. Plan → implement →
// a review that fails once → a fix → gates pass → merge, ending with the commit on main.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRoles } from '../../src/agents/index.js';
import { createInProcessBus, type BusMessage } from '../../src/bus/index.js';
import { Config } from '../../src/config/index.js';
import { tables, type Database } from '../../src/db/index.js';
import { createGateway, type Gateway } from '../../src/llm/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createConductor,
  createTask,
  createWorker,
  type Worker,
} from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import {
  createScriptedModel,
  type ScriptedModel,
  type ScriptedTurn,
} from '../../src/testing/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

let database: Database;
let dataDir: string;
let gateway: Gateway;
let worker: Worker;
const bus = createInProcessBus();
const logger = createLogger({ level: 'silent' });
const models: Record<string, ScriptedModel> = {};

const call = (toolName: string, input: unknown) => ({
  toolName,
  input,
  toolCallId: `${toolName}-${Math.random().toString(36).slice(2, 10)}`,
});
const finish = (summary: string, result?: unknown) => ({
  toolCalls: [call('finish', { summary, result })],
});

const script: Record<string, ScriptedTurn[]> = {
  planner: [
    finish('One step: add the function.', {
      summary: 'Add add()',
      steps: [
        {
          key: 'impl',
          role: 'developer',
          goal: 'Add add(a, b) to src/math.js',
          acceptance: ['npm test passes'],
        },
      ],
    }),
  ],
  developer: [
    {
      toolCalls: [
        call('write_file', { path: 'src/math.js', content: 'exports.add = (a, b) => a + b;\n' }),
      ],
    },
    { toolCalls: [call('run_tests', {})] },
    { toolCalls: [call('git_commit', { message: 'Add add()' })] },
    finish('Added add().'),
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

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-task-'));
  for (const [role, turns] of Object.entries(script))
    models[role] = createScriptedModel({ provider: `scripted-${role}`, modelId: role, turns });
  const config = Config.parse({ dataDir });
  gateway = createGateway({
    config,
    db: database.db,
    logger,
    registry: new Registry(),
    providers: Object.values(models).map((model) => model.asProvider()),
  });
  const workspaces = createWorkspaces({ dataDir, sandbox: createSandbox(config.sandbox) });
  const configRoles = builtInRoles.map((role) => ({
    ...role,
    modelPolicy: { ...role.modelPolicy, model: models[role.name]?.id },
  }));
  const conductor = createConductor({ database, gateway, workspaces, bus, logger, configRoles });
  worker = createWorker({
    database,
    logger,
    handler: conductor.handler,
    onDead: conductor.onDead,
    isRetryable: conductor.isRetryable,
    backoffMs: () => 0,
  });
  await worker.start();
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await gateway?.close();
  await database?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A repository with a Node project whose test checks add(). */
async function seedRepository() {
  const source = await mkdtemp(join(tmpdir(), 'cadre-seed-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: source,
      env: {
        PATH: process.env.PATH,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    })
      .toString()
      .trim();
  git('init', '-q', '-b', 'main');
  await writeFile(
    join(source, 'package.json'),
    JSON.stringify({ name: 'math', scripts: { test: 'node test.js' } }),
  );
  await writeFile(
    join(source, 'test.js'),
    "const { add } = require('./src/math.js');\nif (add(2, 3) !== 5) { console.error('add is wrong'); process.exit(1); }\nconsole.log('1 passed');\n",
  );
  git('add', '.');
  git('commit', '-q', '-m', 'Start');
  return { source, git };
}

describe('a whole task', () => {
  it('is planned, implemented, tested in the sandbox, reviewed twice and merged into main', async () => {
    const owner = await createOrgAndProject(database.db, 'math');
    const { source } = await seedRepository();
    const workspaces = createWorkspaces({ dataDir });
    await workspaces.createRepository(owner.projectId, { type: 'path', path: source });
    const published: BusMessage[] = [];
    await bus.subscribe(`org.${owner.orgId}.task.*`, (message) => void published.push(message));

    const task = await createTask(database.db, {
      orgId: owner.orgId,
      input: {
        projectId: owner.projectId,
        description: 'Add an add(a, b) function with input checks',
      },
    });

    const final = await waitFor(
      'the task to finish',
      async () => {
        const [row] = await database.db
          .select()
          .from(tables.tasks)
          .where(eq(tables.tasks.id, task.id));
        return ['done', 'failed', 'cancelled'].includes(row!.status) ? row : null;
      },
      60_000,
    );
    expect(final).toMatchObject({ status: 'done', error: null });

    const repo = join(dataDir, 'workspaces', owner.projectId, 'repo.git');
    const show = (...args: string[]) =>
      execFileSync('git', ['--git-dir', repo, ...args]).toString();
    expect(show('show', 'main:src/math.js')).toContain("throw new TypeError('numbers only')");
    expect(show('log', '--format=%s', 'main')).toMatch(
      /Check the inputs of add\(\)[\s\S]*Add add\(\)[\s\S]*Start/,
    );

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
    ])
      expect(types).toContain(type);
    expect(types.indexOf('gate-failed')).toBeLessThan(types.indexOf('gates-passed'));
    expect(published.length).toBeGreaterThan(0);

    // The tests really ran in the sandbox: the tester's tool result says so.
    const turns = await database.db.select().from(tables.agentTurns);
    expect(JSON.stringify(turns.map((turn) => turn.entry))).toContain('1 passed');
    for (const model of Object.values(models)) expect(model.remaining).toBe(0);
  }, 90_000);
});
