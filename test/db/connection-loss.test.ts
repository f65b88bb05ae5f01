// Connections that the server ends (as a restart or an administrator does): the process keeps
// running, the query that was using the connection fails, the next one works, and a LISTEN
// subscription comes back by itself and hears notifications again.
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type ConnectionLog, type Database } from '../../src/db/index.js';
import { createTestDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

let url: string;
let database: Database;
const lines: Array<{ level: 'info' | 'warn'; message: string; fields: Record<string, unknown> }> =
  [];
const log: ConnectionLog = {
  info: (fields, message) => void lines.push({ level: 'info', message, fields }),
  warn: (fields, message) => void lines.push({ level: 'warn', message, fields }),
};

beforeAll(async () => {
  url = await createTestDatabaseUrl();
  database = connectDatabase({ url, poolSize: 3, log, backoff: { initialMs: 20, maxMs: 200 } });
});
afterAll(() => database?.close());

/** Ends every other session on this test's database, as `pg_ctl restart -m fast` does. */
async function terminateOtherSessions(): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const result = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('a connection ended by the server', () => {
  it('fails the transaction that held it, and the next query works', async () => {
    lines.length = 0;
    const outcome = await database.db
      .transaction(async (tx) => {
        await tx.execute(sql`SELECT 1`);
        // Ended while the transaction waits between two statements: pg reports it as an
        // 'error' event on the checked-out client, which used to end the process.
        expect(await terminateOtherSessions()).toBeGreaterThan(0);
        await waitFor('the loss to be reported', () =>
          lines.some((line) => line.message.startsWith('database connection lost')),
        );
        await tx.execute(sql`SELECT 2`);
        return 'committed';
      })
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    const after = await database.db.execute<{ answer: number }>(sql`SELECT 42 AS answer`);
    expect(after.rows).toEqual([{ answer: 42 }]);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(lines.at(-1)?.message).toBe('database connection restored');
  });

  it('gives the connection back when BEGIN itself fails, so the pool never runs dry', async () => {
    const single = connectDatabase({ url, poolSize: 1 });
    try {
      // BEGIN fails here as it does on a connection the server just ended; drizzle alone
      // kept such a client checked out for good.
      for (let attempt = 0; attempt < 3; attempt++) {
        const failure = await single.db
          .transaction(async () => 'never', { isolationLevel: 'no such level' as never })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(Error);
      }
      expect(single.pool.idleCount + single.pool.waitingCount).toBe(1);
      const answer = await single.db.transaction((tx) => tx.execute(sql`SELECT 7 AS seven`));
      expect(answer.rows).toEqual([{ seven: 7 }]);
    } finally {
      await single.close();
    }
  });

  it('re-subscribes a LISTEN channel and hears what is notified after', async () => {
    lines.length = 0;
    const heard: string[] = [];
    const events: string[] = [];
    const listener = await database.listen('cadre_test_channel', (payload) => heard.push(payload), {
      onLost: () => events.push('lost'),
      onRestored: () => events.push('restored'),
    });
    try {
      const notify = (payload: string) =>
        database.pool.query(`SELECT pg_notify('cadre_test_channel', $1)`, [payload]);
      await notify('before');
      await waitFor('the first notification', () => heard.includes('before'));

      await terminateOtherSessions();
      await waitFor('the listener to come back', () => events.includes('restored'));
      expect(events).toEqual(['lost', 'restored']);
      expect(listener.isConnected).toBe(true);
      await notify('after');
      await waitFor('the notification after the loss', () => heard.includes('after'));
      expect(heard).toEqual(['before', 'after']);
      const restored = lines.find((line) => line.message === 'LISTEN connection restored');
      expect(restored?.fields).toMatchObject({ channel: 'cadre_test_channel' });
    } finally {
      await listener.close();
    }
    expect(listener.isConnected).toBe(false);
  });
});
