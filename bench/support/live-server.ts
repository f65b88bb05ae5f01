// The server of the live WebSocket benchmark, in a process of its own so that its memory and
// CPU are measured alone: the whole API with the Postgres bus, as `cadre up` builds it, on
// 127.0.0.1. It never publishes events: they come from the benchmark, as from a worker.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/api/index.js';
import { createPostgresBus } from '../../src/bus/index.js';
import { Config } from '../../src/config/index.js';
import { connectDatabase } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';

/** What the server tells the benchmark once it listens. */
export interface LiveServerReady {
  port: number;
}

const dataDir = await mkdtemp(join(tmpdir(), 'cadre-bench-live-'));
// No rate limit and no cap on sockets per key: the benchmark opens 1,000 WebSockets with one
// key, several times a minute.
const config = Config.parse({
  dataDir,
  server: { rateLimitPerMinute: 0, liveMaxSocketsPerCredential: 100_000 },
});
const database = connectDatabase({ url: process.env.DATABASE_URL!, poolSize: 10 });
const bus = await createPostgresBus(database);
const app = await buildApp({
  config,
  database,
  logger: createLogger({ level: 'warn' }),
  metrics: createMetrics(),
  version: '0.0.0-bench',
  bus,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const ready: LiveServerReady = { port: (app.server.address() as { port: number }).port };
process.send?.(ready);

process.on('message', async (message) => {
  if (message !== 'stop') return;
  await app.close();
  await bus.close();
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
});
