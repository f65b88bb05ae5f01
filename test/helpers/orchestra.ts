// A whole Cadre back end for orchestration tests: Postgres, the real gateway with one scripted
// model per role, bubblewrap, git workspaces, the in-process bus and a worker running the
// conductor. Close it in afterAll.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { builtInRoles } from '../../src/agents/index.js';
import { createSecretBox } from '../../src/auth/index.js';
import { createInProcessBus, type Subscription } from '../../src/bus/index.js';
import { Config } from '../../src/config/index.js';
import { connectDatabase, tables, type Database } from '../../src/db/index.js';
import { createGateway, type ModelInfo } from '../../src/llm/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createConductor,
  createMergeLock,
  createProjectLock,
  createRunRecorder,
  createTaskBranchStore,
  createWorker,
  startHostNotifier,
  storeProjectCredential,
} from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import {
  createScriptedModel,
  type ScriptedModel,
  type ScriptedTurn,
} from '../../src/testing/index.js';
import { createWorkspaces, type Workspaces } from '../../src/workspace/index.js';
import { createTestDatabaseUrl } from './database.js';
import { createOrgAndProject } from './tasks.js';
import { waitFor } from './wait.js';

export interface OrchestraOptions {
  /** The scripted turns of each role's model. */
  scripts: Record<string, ScriptedTurn[]>;
  /** Registry fields of the models, e.g. prices for budget tests. */
  modelInfo?: Partial<Omit<ModelInfo, 'id' | 'endpoint' | 'providerModelId'>>;
  /** False when the test runs its workers in processes of their own. */
  runsWorker?: boolean;
  /** Settings of the real providers and the gateway (`providers`, `models`), as a config file. */
  settings?: Record<string, unknown>;
}

/** A tool call of a scripted turn. */
export const call = (toolName: string, input: unknown) => ({
  toolName,
  input,
  toolCallId: `${toolName}-${Math.random().toString(36).slice(2, 10)}`,
});

/** A scripted turn that finishes the step. */
export const finish = (summary: string, result?: unknown) => ({
  toolCalls: [call('finish', { summary, result })],
});

/** One task's script: plan one step, write a file, test, review, merge. */
export function oneTaskScript(): Record<
  'planner' | 'developer' | 'reviewer' | 'tester',
  ScriptedTurn[]
> {
  return {
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
    ],
    reviewer: [finish('Looks right.', { approved: true, feedback: '' })],
    tester: [
      { toolCalls: [call('run_tests', {})] },
      finish('Tests pass.', { passed: true, report: '1 passed' }),
    ],
  };
}

/** One task, then the fix round its pull request's review asks for. */
export function reviewedTaskScript() {
  const { planner, developer, reviewer, tester } = oneTaskScript();
  return {
    planner,
    developer: [
      ...developer,
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
    reviewer: [...reviewer, finish('Good now.', { approved: true, feedback: '' })],
    tester: [...tester, ...tester],
  };
}

/** Starts the back end; the worker runs until close(). */
export async function createOrchestra({
  scripts,
  modelInfo = {},
  runsWorker = true,
  settings = {},
}: OrchestraOptions) {
  const databaseUrl = await createTestDatabaseUrl();
  const database: Database = connectDatabase({ url: databaseUrl, poolSize: 5 });
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-orchestra-'));
  const logger = createLogger({ level: 'silent' });
  const models: Record<string, ScriptedModel> = {};
  for (const [role, turns] of Object.entries(scripts)) {
    models[role] = createScriptedModel({
      provider: `scripted-${role}`,
      modelId: role,
      turns,
      info: modelInfo,
    });
  }
  const config = Config.parse({ dataDir, ...settings });
  const gateway = createGateway({
    config,
    db: database.db,
    logger,
    registry: new Registry(),
    providers: Object.values(models).map((model) => model.asProvider()),
  });
  const workspaces: Workspaces = createWorkspaces({
    dataDir,
    // seedProject imports a repository it makes in the temporary folder; upstream projects
    // live on a git server on 127.0.0.1.
    imports: { roots: [tmpdir()], allowHosts: ['127.0.0.1'] },
    sandbox: createSandbox(config.sandbox),
    recordRun: createRunRecorder(database.db, logger),
    taskBranches: createTaskBranchStore(database.db),
    projectLock: createProjectLock(database.pool),
  });
  const bus = createInProcessBus();
  const configRoles = builtInRoles.map((role) => ({
    ...role,
    modelPolicy: { ...role.modelPolicy, model: models[role.name]?.id },
  }));
  // Projects that deliver to a remote reach the fake git host on loopback.
  const secrets = createSecretBox(randomBytes(32));
  const publicUrl = 'http://cadre.test';
  const delivery = { secrets, dataDir, publicUrl, remotePolicy: { allowHosts: ['127.0.0.1'] } };
  const conductor = createConductor({
    database,
    gateway,
    workspaces,
    bus,
    logger,
    configRoles,
    delivery,
    secrets,
    mergeLock: createMergeLock(database.pool),
  });
  const cancellations: Subscription = await conductor.listenForCancellations();
  const hostNotifier = await startHostNotifier({
    db: database.db,
    bus,
    secrets,
    logger,
    publicUrl,
  });
  const worker = createWorker({
    database,
    logger,
    handler: conductor.handler,
    onDead: conductor.onDead,
    isRetryable: conductor.isRetryable,
    backoffMs: () => 0,
    bus,
  });
  if (runsWorker) await worker.start();

  return {
    database,
    databaseUrl,
    gateway,
    dataDir,
    models,
    workspaces,
    bus,
    /** The secret box project secrets are sealed with (host and git tokens). */
    secrets,
    /**
     * An organization and project whose repository holds a small Node project with a test
     * (`npm test`) of src/math.js's add(), which passes while that file does not exist.
     */
    async seedProject(name: string) {
      const owner = await createOrgAndProject(database.db, name);
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
        });
      git('init', '-q', '-b', 'main');
      await writeFile(
        join(source, 'package.json'),
        JSON.stringify({ name, scripts: { test: 'node test.js' } }),
      );
      await writeFile(
        join(source, 'test.js'),
        // Green until src/math.js exists, so that a task that does not touch it merges.
        "const { existsSync } = require('node:fs');\nif (!existsSync('./src/math.js')) { console.log('0 passed'); process.exit(0); }\nconst { add } = require('./src/math.js');\nif (add(2, 3) !== 5) { console.error('add is wrong'); process.exit(1); }\nconsole.log('1 passed');\n",
      );
      git('add', '.');
      git('commit', '-q', '-m', 'Start');
      await workspaces.createRepository(owner.projectId, { type: 'path', path: source });
      await rm(source, { recursive: true, force: true });
      return owner;
    },
    /** An organization and project cloned from `url`'s `main`, the token stored as its credential. */
    async seedUpstreamProject(name: string, url: string, token: string) {
      const owner = await createOrgAndProject(database.db, name);
      const remote = { url, credential: { kind: 'token' as const, token } };
      await workspaces.createRepositoryFromRemote(owner.projectId, remote, 'main');
      await database.db
        .update(tables.projects)
        .set({ remoteUrl: url, remoteBranch: 'main' })
        .where(eq(tables.projects.id, owner.projectId));
      const project = { orgId: owner.orgId, id: owner.projectId };
      await storeProjectCredential(database.db, secrets, project, remote.credential);
      return owner;
    },
    /** Waits until the task is done, failed or cancelled, and returns its row. */
    finished(taskId: string, timeoutMs = 60_000) {
      return waitFor(
        `task ${taskId} to finish`,
        async () => {
          const [row] = await database.db
            .select()
            .from(tables.tasks)
            .where(eq(tables.tasks.id, taskId));
          return row && ['done', 'failed', 'cancelled'].includes(row.status) ? row : null;
        },
        timeoutMs,
      );
    },
    async close() {
      await worker.stop();
      await cancellations.unsubscribe();
      await hostNotifier.unsubscribe();
      await gateway.close();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type Orchestra = Awaited<ReturnType<typeof createOrchestra>>;
