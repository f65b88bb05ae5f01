// A worker whose database connections are all ended by the server mid-step (as a Postgres
// restart does): it keeps running, finishes the step it was running, and wakes on the next
// enqueue through its re-subscribed LISTEN channel, not through its poll.
import { Writable } from 'node:stream';
import { inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, tables, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createWorker, type StepHandler } from '../../src/orchestrator/worker.js';
import { enqueueSteps } from '../../src/orchestrator/work-queue.js';
import { createTestDatabaseUrl } from '../helpers/database.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';
import { waitFor } from '../helpers/wait.js';

let url: string;
let database: Database;
let owner: { orgId: string; projectId: string };
const logLines: Array<{ msg: string; workerId?: string }> = [];
const logger = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logLines.push(JSON.parse(line) as { msg: string; workerId?: string });
      done();
    },
  }),
});

beforeAll(async () => {
  url = await createTestDatabaseUrl();
  database = connectDatabase({
    url,
    poolSize: 4,
    log: logger,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  owner = await createOrgAndProject(database.db);
});
afterAll(() => database?.close());

async function terminateOtherSessions() {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  } finally {
    await admin.end();
  }
}

const statusOf = async (ids: string[]) =>
  (await database.db.select().from(tables.steps).where(inArray(tables.steps.id, ids))).map(
    (step) => step.status,
  );

describe('a worker losing its connections', () => {
  it('finishes its running step and wakes on the next enqueue once LISTEN is back', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    const handler: StepHandler = async (step) => {
      started.push(step.stepId);
      if (started.length === 1) await released;
      return { result: { key: step.key } };
    };
    // Polling once a minute: only a notification can bring the second step in time.
    const worker = createWorker({ database, handler, logger, workerId: 'w-loss', pollMs: 60_000 });
    await worker.start();
    try {
      const first = await createTaskWithSteps(database.db, owner, 1);
      await database.db.transaction((tx) => enqueueSteps(tx, first.stepIds));
      await waitFor('the first step to start', () => started.length === 1);

      await terminateOtherSessions();
      await waitFor('the work channel to be back', () =>
        logLines.some((line) => line.msg.startsWith('work notifications restored')),
      );
      expect(logLines.map((line) => line.msg)).toEqual(
        expect.arrayContaining([
          'work notifications lost; polling until back',
          'LISTEN connection lost; reconnecting',
          'LISTEN connection restored',
        ]),
      );
      release();
      await waitFor('the first step to be done', async () =>
        (await statusOf(first.stepIds)).every((status) => status === 'done'),
      );

      const second = await createTaskWithSteps(database.db, owner, 1);
      const enqueuedAt = Date.now();
      await database.db.transaction((tx) => enqueueSteps(tx, second.stepIds));
      await waitFor('the second step to be done', async () =>
        (await statusOf(second.stepIds)).every((status) => status === 'done'),
      );
      expect(Date.now() - enqueuedAt).toBeLessThan(30_000); // far below the 60 s poll
      expect(started).toEqual([...first.stepIds, ...second.stepIds]);
      const [{ attempts }] = (
        await database.db.execute<{ attempts: number }>(
          sql`SELECT attempts FROM steps WHERE id = ${first.stepIds[0]!}`,
        )
      ).rows as [{ attempts: number }];
      expect(attempts).toBe(1); // the step survived the loss; it was not run again
    } finally {
      release();
      await worker.stop();
    }
  });
});
