// Transactions that always give their connection back. drizzle-orm 0.45's pooled transaction
// releases its client only once BEGIN succeeded: a BEGIN on a connection the server just
// ended leaked that client, so after a few Postgres restarts the pool ran dry and
// pool.end() never returned. This must stay the only place that reaches into drizzle.
import { NodePgSession } from 'drizzle-orm/node-postgres';
import type pg from 'pg';

/** The parts of drizzle's pooled session a transaction is rebuilt from. */
interface PooledSession {
  dialect: unknown;
  schema: unknown;
  options: unknown;
  transaction: (work: never, config?: never) => Promise<unknown>;
}

/**
 * Runs `db.transaction` on a client checked out here and released in every case; a client
 * whose connection failed is released with its error, so the pool discards it.
 */
export function releaseEveryTransactionClient(db: object, pool: pg.Pool): void {
  const session = (db as { session: PooledSession }).session;
  const { dialect, schema, options } = session;
  session.transaction = async (work, config) => {
    const client = await pool.connect();
    let failure: Error | undefined;
    const onError = (error: Error) => (failure = error);
    client.on('error', onError);
    try {
      // Bound to one client (not the pool), drizzle runs BEGIN … COMMIT on it and leaves the
      // release to us.
      const bound = new NodePgSession(client, dialect as never, schema as never, options as never);
      return await bound.transaction(work, config);
    } finally {
      client.off('error', onError);
      client.release(failure);
    }
  };
}
