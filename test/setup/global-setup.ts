// Starts one real Postgres (the embedded server Cadre ships) for the whole run, with a
// migrated template database that each test file copies into a database of its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectDatabase, migrate, startEmbeddedPostgres } from '../../src/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export const templateDatabase = 'cadre_template';

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-test-pg-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    // A throwaway cluster: durability buys nothing here and costs seconds.
    settings: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '300',
    },
  });
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${templateDatabase}`);
  await admin.end();
  const template = connectDatabase({
    url: server.adminUrl.replace(/\/postgres$/, `/${templateDatabase}`),
  });
  await migrate(template.pool);
  await template.close();

  project.provide('postgresAdminUrl', server.adminUrl);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
