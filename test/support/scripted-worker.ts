// A standalone worker process for crash tests: the real conductor and worker, with scripted
// models (one per role) read from SCRIPT, or every role on the OpenAI-compatible server at
// MODEL_URL. DIE_AFTER_ANSWERS=n SIGKILLs the process as soon as the gateway has handed over
// its n-th answer, before anything else happens; DIE_BEFORE_WORKTREE_REMOVAL=1 does so when
// the first step's agent has finished, before its step commits. It prints "ready" once it
// waits for steps. MODEL_KEY is the API key it sends to MODEL_URL (which tells processes apart
// there); RABBITMQ_URL publishes its events on that broker instead of in-process.
import { Registry } from 'prom-client';
import { builtInRoles } from '../../src/agents/index.js';
import { createBus, createInProcessBus } from '../../src/bus/index.js';
import { Config } from '../../src/config/index.js';
import { connectDatabase } from '../../src/db/index.js';
import { createGateway } from '../../src/llm/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createConductor,
  createMergeLock,
  createProjectLock,
  createRunRecorder,
  createTaskBranchStore,
  createWorker,
} from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createScriptedModel, type ScriptedTurn } from '../../src/testing/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';

const scripts = JSON.parse(process.env.SCRIPT ?? '{}') as Record<string, ScriptedTurn[]>;
const modelUrl = process.env.MODEL_URL;
const dieAfterAnswers = Number(process.env.DIE_AFTER_ANSWERS ?? 0);
const database = connectDatabase({ url: process.env.DATABASE_URL!, poolSize: 4 });
const logger = createLogger({ level: 'silent' });
const config = Config.parse({
  dataDir: process.env.DATA_DIR!,
  rabbitmq: { url: process.env.RABBITMQ_URL },
  ...(modelUrl && {
    models: {
      endpoints: {
        fake: { kind: 'openai', baseUrl: `${modelUrl}/v1`, apiKey: process.env.MODEL_KEY ?? 'k' },
      },
      catalog: [
        {
          id: 'fake/model',
          endpoint: 'fake',
          providerModelId: 'fake-model',
          capabilities: { tools: true, structuredOutput: true },
          prices: { input: 1, output: 2 },
        },
      ],
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    },
  }),
});
const models = Object.entries(scripts).map(
  ([role, turns]) =>
    [role, createScriptedModel({ provider: `scripted-${role}`, modelId: role, turns })] as const,
);
const gateway = createGateway({
  config,
  db: database.db,
  logger,
  registry: new Registry(),
  providers: models.map(([, model]) => model.asProvider()),
});
const ids: Record<string, string> = modelUrl
  ? Object.fromEntries(builtInRoles.map((role) => [role.name, 'fake/model']))
  : Object.fromEntries(models.map(([role, model]) => [role, model.id]));
let answers = 0;
const dying: Pick<typeof gateway, 'generate'> = {
  async generate(request) {
    const result = await gateway.generate(request);
    answers += 1;
    if (answers === dieAfterAnswers) process.kill(process.pid, 'SIGKILL');
    return result;
  },
};
const workspaces = createWorkspaces({
  dataDir: config.dataDir,
  sandbox: createSandbox(config.sandbox),
  recordRun: createRunRecorder(database.db, logger),
  taskBranches: createTaskBranchStore(database.db),
  projectLock: createProjectLock(database.pool),
});
const bus = process.env.RABBITMQ_URL ? await createBus(config) : createInProcessBus();
const conductor = createConductor({
  database,
  gateway: dying,
  workspaces: {
    ...workspaces,
    removeTaskWorktree: async (ref) => {
      if (process.env.DIE_BEFORE_WORKTREE_REMOVAL) process.kill(process.pid, 'SIGKILL');
      return workspaces.removeTaskWorktree(ref);
    },
  },
  bus,
  logger,
  configRoles: builtInRoles.map((role) => ({
    ...role,
    modelPolicy: { ...role.modelPolicy, model: ids[role.name] },
  })),
  mergeLock: createMergeLock(database.pool),
});
const worker = createWorker({
  database,
  logger,
  handler: conductor.handler,
  onDead: conductor.onDead,
  isRetryable: conductor.isRetryable,
  leaseMs: Number(process.env.LEASE_MS ?? 10_000),
  heartbeatMs: Number(process.env.LEASE_MS ?? 10_000) / 4,
  sweepMs: 500,
  bus,
});
await worker.start();
process.stdout.write('ready\n');
