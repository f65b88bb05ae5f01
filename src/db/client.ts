// The connection pool and the Drizzle handle on top of it.
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Db = NodePgDatabase<typeof schema>;

export interface Database {
  pool: pg.Pool;
  db: Db;
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
  return { pool, db: drizzle(pool, { schema }), close: () => pool.end() };
}
