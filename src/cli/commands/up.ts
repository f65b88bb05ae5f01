// `cadre up`: the database, the API and the web app in one process, until SIGINT or SIGTERM.
import { join } from 'node:path';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/index.js';
import { startCadre } from '../runtime.js';
import { version } from '../paths.js';

/** Starts Cadre and prints where to open it; resolves when it has stopped. */
export async function up(config: Config, logger: Logger): Promise<void> {
  const started = Date.now();
  const running = await startCadre(config, logger);
  const { url, bootstrap } = running;
  const database = running.db.embedded
    ? `embedded Postgres, data in ${join(config.dataDir, 'postgres')}`
    : 'external Postgres (DATABASE_URL)';
  const lines = [
    '',
    `Cadre ${version} is running at ${url}  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  Web app   ${url}/`,
    `  API docs  ${url}/docs`,
    `  Database  ${database}`,
    bootstrap.createdKey
      ? `  Admin key ${bootstrap.createdKey}\n            shown once; also saved in ${bootstrap.keyFile} (readable only by you)`
      : `  Admin key in ${bootstrap.keyFile}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  await new Promise<void>((resolve) => {
    let isStopping = false;
    const stop = (signal: string) => {
      if (isStopping) {
        process.stderr.write('cadre: stopping now\n');
        process.exit(1);
      }
      isStopping = true;
      process.stderr.write(`\ncadre: ${signal} received, stopping...\n`);
      running.stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        resolve();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
