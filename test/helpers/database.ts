// A fresh, migrated database for one test file, copied from the run's template.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/index.js';

/** The URL of a new database with every migration applied. */
export async function createTestDatabaseUrl(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE cadre_template`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

/** A connected pool on a new migrated database. Close it in afterAll. */
export async function createTestDatabase(): Promise<Database> {
  return connectDatabase({ url: await createTestDatabaseUrl(), poolSize: 5 });
}

/** The URL of a new, empty database (no migrations), for migration tests. */
export async function createEmptyDatabaseUrl(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `empty_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}
