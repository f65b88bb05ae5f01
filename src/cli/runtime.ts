// Starts and stops a whole Cadre: the database (embedded unless DATABASE_URL is set), its
// migrations, the first admin, and the API with the web app.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/index.js';
import { bootstrapAdmin, type BootstrapResult } from '../auth/index.js';
import { redactSecrets, type Config } from '../config/index.js';
import {
  connectDatabase,
  migrate,
  startEmbeddedPostgres,
  type Database,
  type EmbeddedPostgres,
} from '../db/index.js';
import { CadreError } from '../errors/index.js';
import { createMetrics, type Logger } from '../observability/index.js';
import { version, webRoot } from './paths.js';
import { createServices, type Services } from './services.js';

export interface DatabaseHandle {
  database: Database;
  embedded: EmbeddedPostgres | null;
  stop(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded server, and applies the migrations. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  let embedded: EmbeddedPostgres | null = null;
  if (!config.database.url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      onLog: (line) => logger.debug({ component: 'postgres' }, line),
    });
  }
  const database = connectDatabase({
    url: config.database.url ?? embedded!.url,
    poolSize: config.database.poolSize,
    log: logger,
  });
  try {
    await checkConnection(database, config.database.url);
    const result = await migrate(database.pool);
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'database migrated');
  } catch (error) {
    await database.close();
    await embedded?.stop();
    throw error;
  }
  // Standalone `cadre worker` processes on this machine find the embedded server here.
  const urlFile = join(config.dataDir, embeddedUrlFileName);
  if (embedded) await writeFile(urlFile, embedded.url + '\n', { mode: 0o600 });
  return {
    database,
    embedded,
    stop: async () => {
      await database.close();
      if (embedded) {
        await rm(urlFile, { force: true });
        await embedded.stop();
      }
    },
  };
}

const embeddedUrlFileName = 'postgres-url';

/** The database of a worker: DATABASE_URL, or the embedded server of a running `cadre up`. */
export async function openWorkerDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.database.url) return openDatabase(config, logger);
  const urlFile = join(config.dataDir, embeddedUrlFileName);
  const url = await readFile(urlFile, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (!url) {
    throw new CadreError(
      'DATABASE_UNAVAILABLE',
      `cadre worker found no running \`cadre up\` in ${config.dataDir} (no ${embeddedUrlFileName} file). Start \`cadre up\` first, or set DATABASE_URL to a shared Postgres.`,
    );
  }
  return openDatabase({ ...config, database: { ...config.database, url } }, logger);
}

/** Turns a first connection that fails into one clear message instead of a driver's stack. */
async function checkConnection(database: Database, externalUrl: string | undefined) {
  try {
    await database.pool.query('SELECT 1');
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    const where = externalUrl
      ? `DATABASE_URL (${String(redactSecrets(externalUrl))})`
      : 'the embedded Postgres';
    const hint = externalUrl
      ? 'Check that the server runs and the URL is right, or unset DATABASE_URL to use the embedded Postgres.'
      : 'Run it with CADRE_LOG_LEVEL=debug to see the Postgres log.';
    throw new CadreError('DATABASE_UNAVAILABLE', `Cannot connect to ${where}: ${reason}. ${hint}`, {
      cause: error,
    });
  }
}

export interface Running {
  app: FastifyInstance;
  url: string;
  bootstrap: BootstrapResult;
  db: DatabaseHandle;
  services: Services;
  stop(): Promise<void>;
}

/** Everything `cadre up` runs, listening on the configured host and port. */
export async function startCadre(config: Config, logger: Logger): Promise<Running> {
  // The data directory holds the admin key and workspaces even when Postgres is external.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase(config, logger);
  let services: Services | null = null;
  try {
    const bootstrap = await bootstrapAdmin(db.database.db, config.dataDir);
    const metrics = createMetrics();
    services = await createServices({ config, database: db.database, logger, metrics });
    const app = await buildApp({
      config,
      database: db.database,
      logger,
      metrics,
      version,
      webRoot,
      gateway: services.gateway,
      workspaces: services.workspaces,
      bus: services.bus,
      secrets: services.secrets,
    });
    await app.listen({ host: config.server.host, port: config.server.port });
    await services.startWorkers(config.workers.inProcess);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    const running = services;
    return {
      app,
      url: `http://${host}:${port}`,
      bootstrap,
      db,
      services,
      stop: async () => {
        await running.close();
        await app.close();
        await db.stop();
      },
    };
  } catch (error) {
    await services?.close();
    await db.stop();
    throw error;
  }
}
