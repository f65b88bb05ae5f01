import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase, migrate, tables, type Database } from '../../src/db/index.js';
import { createEmptyDatabaseUrl, createTestDatabase } from '../helpers/database.js';

const opened: Database[] = [];
afterAll(async () => {
  await Promise.all(opened.map((database) => database.close()));
});

async function emptyDatabase(): Promise<Database> {
  const database = connectDatabase({ url: await createEmptyDatabaseUrl(), poolSize: 3 });
  opened.push(database);
  return database;
}

const migrationsDir = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
const migrationFiles = async () =>
  (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();

describe('migrate', () => {
  it('builds the schema on an empty database, and a second run changes nothing', async () => {
    const database = await emptyDatabase();
    const files = await migrationFiles();
    expect(files.length).toBeGreaterThan(0);

    const first = await migrate(database.pool);
    expect(first).toEqual({ applied: files, skipped: [] });
    await database.db.insert(tables.organizations).values({ name: 'Kept', slug: 'kept' });

    const second = await migrate(database.pool);
    expect(second).toEqual({ applied: [], skipped: files });
    const organizations = await database.db.select().from(tables.organizations);
    expect(organizations.map((row) => row.slug)).toEqual(['kept']);
    const recorded = await database.pool.query('SELECT name FROM cadre_migrations ORDER BY name');
    expect(recorded.rows.map((row: { name: string }) => row.name)).toEqual(files);
  });

  it('applies each migration once when two processes migrate one database at the same time', async () => {
    const url = await createEmptyDatabaseUrl();
    const one = connectDatabase({ url, poolSize: 2 });
    const two = connectDatabase({ url, poolSize: 2 });
    opened.push(one, two);
    const files = await migrationFiles();

    const results = await Promise.all([migrate(one.pool), migrate(two.pool)]);
    const applied = results.flatMap((result) => result.applied).sort();
    expect(applied).toEqual(files);
    const skipped = results.flatMap((result) => result.skipped).sort();
    expect(skipped).toEqual(files);
    const recorded = await one.pool.query('SELECT count(*)::int AS n FROM cadre_migrations');
    expect(recorded.rows[0]).toEqual({ n: files.length });
  });
});

describe('the Drizzle schema and the SQL migrations', () => {
  it('agree on every table, column and nullability', async () => {
    const database = await createTestDatabase();
    opened.push(database);
    const { rows } = await database.pool.query<{
      table_name: string;
      column_name: string;
      is_nullable: 'YES' | 'NO';
    }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'cadre_migrations'`,
    );
    const inSql = new Map(
      rows.map((row) => [`${row.table_name}.${row.column_name}`, row.is_nullable === 'YES']),
    );

    const inDrizzle = new Map<string, boolean>();
    for (const table of Object.values(tables) as PgTable[]) {
      const config = getTableConfig(table);
      for (const column of config.columns) {
        inDrizzle.set(`${config.name}.${column.name}`, !column.notNull);
      }
    }
    expect(inDrizzle.size).toBeGreaterThan(40);

    const described = (map: Map<string, boolean>) =>
      [...map].map(([column, isNullable]) => `${column} ${isNullable ? 'NULL' : 'NOT NULL'}`);
    // Every Drizzle column exists in SQL with the same nullability, and SQL has no column
    // that Drizzle does not know.
    expect(described(inSql).sort()).toEqual(described(inDrizzle).sort());
  });
});
