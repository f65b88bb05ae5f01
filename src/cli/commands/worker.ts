// `cadre worker`: workers without the API, against the database of a running `cadre up`
// on this machine or the shared Postgres of DATABASE_URL. Run as many as wanted.
import type { Config } from '../../config/index.js';
import { createMetrics, type Logger } from '../../observability/index.js';
import { openWorkerDatabase } from '../runtime.js';
import { createServices, describeServices } from '../services.js';
import { runUntilSignal } from '../signals.js';

/** Runs `count` workers until SIGINT or SIGTERM. */
export async function worker(config: Config, logger: Logger, count: number): Promise<void> {
  const db = await openWorkerDatabase(config, logger);
  const services = await createServices({
    config,
    database: db.database,
    logger,
    metrics: createMetrics(),
  });
  try {
    await services.startWorkers(count);
  } catch (error) {
    await services.close();
    await db.stop();
    throw error;
  }
  const lines = [
    `Cadre worker: ${count} worker(s), ${config.workers.concurrency} steps each (pid ${process.pid})`,
    ...describeServices(services),
    'Press Ctrl+C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  await runUntilSignal(async () => {
    await services.close();
    await db.stop();
  }, logger);
}
