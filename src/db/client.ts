// The connection pool and the Drizzle handle on top of it.
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  pool: pg.Pool;
  db: Db;
  /**
   * Listens on a notification channel over a connection of its own (never one of the
   * pool's). `onError` is called once if that connection is lost; then the listener is dead.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onError?: (error: Error) => void,
  ): Promise<Listener>;
  close(): Promise<void>;
}

export interface Listener {
  close(): Promise<void>;
}

export interface ConnectOptions {
  url: string;
  poolSize?: number;
}

/** Opens a pool on `url`; nothing is sent until the first query. */
export function connectDatabase({ url, poolSize = 10 }: ConnectOptions): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server emits 'error'; the next query reports it instead.
  pool.on('error', () => undefined);
  return {
    pool,
    db: drizzle(pool, { schema }),
    listen: (channel, onNotify, onError) => listen(url, channel, onNotify, onError),
    close: () => pool.end(),
  };
}

async function listen(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  onError: (error: Error) => void = () => undefined,
): Promise<Listener> {
  const client = new pg.Client({ connectionString: url });
  let isClosed = false;
  client.on('notification', (message) => onNotify(message.payload ?? ''));
  client.on('error', (error) => {
    if (!isClosed) onError(error);
  });
  await client.connect();
  await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  return {
    async close() {
      isClosed = true;
      await client.end().catch(() => undefined);
    },
  };
}
