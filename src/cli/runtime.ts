// Starts and stops a whole Cadre: the database (embedded unless DATABASE_URL is set), its
// migrations, the first admin, and the API with the web app.
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
  return {
    database,
    embedded,
    stop: async () => {
      await database.close();
      await embedded?.stop();
    },
  };
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
  stop(): Promise<void>;
}

/** Everything `cadre up` runs, listening on the configured host and port. */
export async function startCadre(config: Config, logger: Logger): Promise<Running> {
  const db = await openDatabase(config, logger);
  try {
    const bootstrap = await bootstrapAdmin(db.database.db, config.dataDir);
    const app = await buildApp({
      config,
      database: db.database,
      logger,
      metrics: createMetrics(),
      version,
      webRoot,
    });
    await app.listen({ host: config.server.host, port: config.server.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    return {
      app,
      url: `http://${host}:${port}`,
      bootstrap,
      db,
      stop: async () => {
        await app.close();
        await db.stop();
      },
    };
  } catch (error) {
    await db.stop();
    throw error;
  }
}
