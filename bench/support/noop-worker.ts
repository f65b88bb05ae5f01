// A worker process for the orchestrator benchmark: it claims steps and finishes each at once.
import { connectDatabase } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createWorker } from '../../src/orchestrator/index.js';

const database = connectDatabase({ url: process.env.DATABASE_URL!, poolSize: 6 });
const worker = createWorker({
  database,
  logger: createLogger({ level: 'warn' }),
  concurrency: Number(process.env.CONCURRENCY ?? 16),
  handler: async () => ({ result: null }),
});
await worker.start();
process.send?.('ready');
process.on('message', async (message) => {
  if (message !== 'stop') return;
  await worker.stop();
  await database.close();
  process.exit(0);
});
