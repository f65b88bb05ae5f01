// `cadre up`: the database, the API, the web app and workers in one process, until SIGINT
// or SIGTERM.
import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/index.js';
import { version } from '../paths.js';
import { startCadre } from '../runtime.js';
import { describeServices } from '../services.js';
import { runUntilSignal } from '../signals.js';

/** Starts Cadre and prints where to open it; resolves when it has stopped. */
export async function up(config: Config, logger: Logger): Promise<void> {
  const started = Date.now();
  const running = await startCadre(config, logger);
  const { url, bootstrap } = running;
  const database = running.db.embedded
    ? `embedded Postgres, data in ${join(config.dataDir, 'postgres')}`
    : 'external Postgres (DATABASE_URL)';
  const { inProcess, concurrency } = config.workers;
  const lines = [
    '',
    `Cadre ${version} is running at ${url}  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  Web app   ${url}/`,
    `  API docs  ${url}/docs`,
    `  Database  ${database}`,
    `  Workers   ${inProcess === 0 ? 'none in this process (run `cadre worker`)' : `${inProcess} in this process, ${concurrency} steps each`}`,
    ...describeServices(running.services),
    bootstrap.createdKey
      ? `  Admin key ${bootstrap.createdKey}\n            shown once; also saved in ${bootstrap.keyFile} (readable only by you)`
      : `  Admin key in ${bootstrap.keyFile}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  await runUntilSignal(running.stop, logger);
}
