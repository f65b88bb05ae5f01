// Runs until SIGINT or SIGTERM, then stops cleanly; a second signal stops at once.
import type { Logger } from '../observability/index.js';

/** Resolves once `stop` has run after the first SIGINT or SIGTERM. */
export function runUntilSignal(stop: () => Promise<void>, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    let isStopping = false;
    const onSignal = (signal: string) => {
      if (isStopping) {
        process.stderr.write('cadre: stopping now\n');
        process.exit(1);
      }
      isStopping = true;
      process.stderr.write(`\ncadre: ${signal} received, stopping...\n`);
      stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        resolve();
      });
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
}
