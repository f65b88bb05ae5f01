export { connectDatabase } from './client.js';
export type { Database, Db, ConnectOptions, Listener } from './client.js';
export { migrate } from './migrate.js';
export type { MigrationResult } from './migrate.js';
export { startEmbeddedPostgres } from './embedded-postgres.js';
export type { EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded-postgres.js';
import * as tables from './schema/index.js';
export { tables };
