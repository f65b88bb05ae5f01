// A standalone worker process for crash tests: the real conductor and worker, with scripted
// models (one per role) read from SCRIPT. It prints "ready" once it is waiting for steps.
import { Registry } from 'prom-client';
import { builtInRoles } from '../../src/agents/index.js';
import { createInProcessBus } from '../../src/bus/index.js';
import { Config } from '../../src/config/index.js';
import { connectDatabase } from '../../src/db/index.js';
import { createGateway } from '../../src/llm/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createConductor, createRunRecorder, createWorker } from '../../src/orchestrator/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { createScriptedModel, type ScriptedTurn } from '../../src/testing/index.js';
import { createWorkspaces } from '../../src/workspace/index.js';

const scripts = JSON.parse(process.env.SCRIPT!) as Record<string, ScriptedTurn[]>;
const database = connectDatabase({ url: process.env.DATABASE_URL!, poolSize: 4 });
const logger = createLogger({ level: 'silent' });
const config = Config.parse({ dataDir: process.env.DATA_DIR! });
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
const ids = Object.fromEntries(models.map(([role, model]) => [role, model.id]));
const conductor = createConductor({
  database,
  gateway,
  workspaces: createWorkspaces({
    dataDir: config.dataDir,
    sandbox: createSandbox(config.sandbox),
    recordRun: createRunRecorder(database.db, logger),
  }),
  bus: createInProcessBus(),
  logger,
  configRoles: builtInRoles.map((role) => ({
    ...role,
    modelPolicy: { ...role.modelPolicy, model: ids[role.name] },
  })),
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
});
await worker.start();
process.stdout.write('ready\n');
