// The services one Cadre process runs on top of its database: the bus, the model gateway,
// the sandbox and workspaces, and the conductor with its workers. `cadre up` and
// `cadre worker` build them the same way.
import { createSecretBox, loadMasterKey, type SecretBox } from '../auth/index.js';
import { createBus, type Bus, type Subscription } from '../bus/index.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { createGateway, type Gateway } from '../llm/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import {
  createConductor,
  createMergeLock,
  createProjectLock,
  createRunRecorder,
  createTaskBranchStore,
  createWorker,
  parseConfigRoles,
  startHostNotifier,
  type Conductor,
  type Worker,
} from '../orchestrator/index.js';
import {
  checkSandbox,
  createSandbox,
  type ExecutorReport,
  type Sandbox,
} from '../sandbox/index.js';
import { createWorkspaces, type Workspaces } from '../workspace/index.js';

export interface Services {
  bus: Bus;
  /** Seals and opens stored secrets under the instance's master key. */
  secrets: SecretBox;
  gateway: Gateway;
  workspaces: Workspaces;
  sandboxReport: ExecutorReport;
  conductor: Conductor;
  /** Starts `count` worker loops in this process. */
  startWorkers(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface ServicesOptions {
  config: Config;
  database: Database;
  logger: Logger;
  metrics: Metrics;
}

/** Builds the services; nothing runs steps until startWorkers is called. */
export async function createServices({
  config,
  database,
  logger,
  metrics,
}: ServicesOptions): Promise<Services> {
  const sandboxReport = await checkSandbox(config.sandbox);
  const secrets = createSecretBox(
    await loadMasterKey({ dataDir: config.dataDir, masterKey: config.secrets.masterKey }),
  );
  let sandbox: Sandbox | null = null;
  const workspaces = createWorkspaces({
    dataDir: config.dataDir,
    imports: config.imports,
    // Made on first use: without bubblewrap the API still serves, and runs say what is missing.
    get sandbox() {
      return (sandbox ??= createSandbox(config.sandbox));
    },
    recordRun: createRunRecorder(database.db, logger),
    taskBranches: createTaskBranchStore(database.db),
    projectLock: createProjectLock(database.pool),
  });
  const bus = await createBus(config, database, logger);
  const gateway = createGateway({ config, db: database.db, logger, registry: metrics.registry });
  // What a server behind OPENAI_BASE_URL serves decides what `cadre up` reports.
  await gateway.ready();
  const conductor = createConductor({
    database,
    gateway,
    workspaces,
    bus,
    logger,
    configRoles: parseConfigRoles(config.roles),
    delivery: {
      secrets,
      dataDir: config.dataDir,
      publicUrl: publicUrlOf(config),
      remotePolicy: { allowHosts: config.imports.allowHosts },
    },
    secrets,
    mergeLock: createMergeLock(database.pool),
  });
  const workers: Worker[] = [];
  let cancellations: Subscription | null = null;
  let hostNotifier: Subscription | null = null;

  return {
    bus,
    secrets,
    gateway,
    workspaces,
    sandboxReport,
    conductor,
    async startWorkers(count) {
      if (count === 0) return;
      cancellations ??= await conductor.listenForCancellations();
      hostNotifier ??= await startHostNotifier({
        db: database.db,
        bus,
        secrets,
        logger,
        publicUrl: publicUrlOf(config),
      });
      for (let index = 0; index < count; index++) {
        const worker = createWorker({
          database,
          logger,
          handler: conductor.handler,
          onDead: conductor.onDead,
          isRetryable: conductor.isRetryable,
          concurrency: config.workers.concurrency,
          bus,
        });
        await worker.start();
        workers.push(worker);
      }
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await cancellations?.unsubscribe();
      await hostNotifier?.unsubscribe();
      await gateway.close();
      await bus.close();
    },
  };
}

/** Where people reach Cadre: `server.publicUrl`, else the address it listens on. */
function publicUrlOf(config: Config): string {
  if (config.server.publicUrl) return config.server.publicUrl;
  const { host, port } = config.server;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The lines `cadre up` and `cadre worker` print about the sandbox and the models. */
export function describeServices(services: Services): string[] {
  const { sandboxReport, gateway } = services;
  const lines = [`  Sandbox   ${sandboxReport.message.replace(/^Sandbox:\s*/, '')}`];
  if (sandboxReport.installHint) lines.push(`            ${sandboxReport.installHint}`);
  const guidance = gateway.setupGuidance();
  lines.push(
    guidance
      ? `  Models    ${guidance.split('\n').join('\n            ')}`
      : '  Models    configured',
  );
  return lines;
}
