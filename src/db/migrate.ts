// Applies the committed SQL migrations in order, each in its own transaction, under an
// advisory lock so that many processes starting at once apply each migration exactly once.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));
const lockId = 0x636164726501; // "cadre" + 1: any constant shared by every Cadre process

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/** Brings the database's schema up to date; returns what it applied. */
export async function migrate(pool: Pool): Promise<MigrationResult> {
  const files = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockId]);
    await client.query(`CREATE TABLE IF NOT EXISTS cadre_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await client.query<{ name: string }>('SELECT name FROM cadre_migrations');
    const already = new Set(done.rows.map((row) => row.name));
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const name of files) {
      if (already.has(name)) {
        result.skipped.push(name);
        continue;
      }
      const sql = await readFile(`${migrationsDir}${name}`, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO cadre_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      result.applied.push(name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockId]).catch(() => undefined);
    client.release();
  }
}
