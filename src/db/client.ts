// The connection pool and the Drizzle handle on top of it. A lost server never ends the
// process: every pooled client has an 'error' listener, a query on a dead connection fails
// that query only, and the pool opens fresh connections once the server is back.
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { startListener, type ListenEvents, type Listener } from './listener.js';
import { releaseEveryTransactionClient } from './pooled-transactions.js';
import { silentLog, type BackoffOptions, type ConnectionLog } from './reconnect.js';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  pool: pg.Pool;
  db: Db;
  /**
   * Listens on a notification channel over a connection of its own (never one of the
   * pool's). A lost connection is re-established with backoff and the channel subscribed
   * again; `events` hears of the loss and of the return.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    events?: ListenEvents,
  ): Promise<Listener>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  poolSize?: number;
  /** Where losses and recoveries of connections are reported. */
  log?: ConnectionLog;
  /** Delays between attempts to re-establish a LISTEN connection. */
  backoff?: BackoffOptions;
}

/** Opens a pool on `url`; nothing is sent until the first query. */
export function connectDatabase(options: ConnectOptions): Database {
  const { url, poolSize = 10, log = silentLog, backoff } = options;
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  watchPool(pool, log);
  const db = drizzle(pool, { schema });
  releaseEveryTransactionClient(db, pool);
  return {
    pool,
    db,
    listen: (channel, onNotify, events = {}) =>
      startListener({ url, channel, onNotify, log, backoff, ...events }),
    close: () => pool.end(),
  };
}

/**
 * pg emits 'error' on a client whose server went away, even one checked out for a
 * transaction, and an 'error' without a listener ends the process. Every client gets one;
 * its queries already fail, and the pool drops it when it is released. One line is logged
 * per outage, and one when a new connection succeeds again.
 */
function watchPool(pool: pg.Pool, log: ConnectionLog) {
  let isLost = false;
  pool.on('connect', (client) => {
    if (isLost) {
      isLost = false;
      log.info({ component: 'database' }, 'database connection restored');
    }
    client.on('error', (error: Error & { code?: string }) => {
      if (isLost) return;
      isLost = true;
      log.warn(
        { component: 'database', err: error, code: error.code },
        'database connection lost; its queries fail and the pool reconnects on the next query',
      );
    });
  });
  // The pool re-emits an idle client's error; the client's own listener above reported it.
  pool.on('error', () => undefined);
}
