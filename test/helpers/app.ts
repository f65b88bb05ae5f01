// An in-process Cadre API on a fresh database, with helpers to make organizations and keys.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/api/index.js';
import { bootstrapAdmin, generateApiKey, type Role } from '../../src/auth/index.js';
import { Config } from '../../src/config/index.js';
import { tables, type Database } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import { createTestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  /** The admin key of the first organization, made as at a first start. */
  adminKey: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Builds the API in-process; `overrides` change settings as a configuration file would. */
export async function createTestApp(
  overrides: Partial<Config> = {},
  deps: Partial<Pick<AppDeps, 'bus' | 'onRoute' | 'webRoot' | 'now'>> = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-test-'));
  const config = Config.parse({ dataDir, ...overrides });
  const { createdKey } = await bootstrapAdmin(database.db, dataDir);
  const app = await buildApp({
    config,
    database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    ...deps,
  });
  await app.ready();
  return {
    app,
    database,
    config,
    adminKey: createdKey!,
    dataDir,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** A second organization with a key of the given role, to test isolation. */
export async function createOrganization(database: Database, name: string, role: Role = 'owner') {
  const [org] = await database.db
    .insert(tables.organizations)
    .values({ name, slug: `${name.toLowerCase().replace(/\W+/g, '-')}-${Date.now()}` })
    .returning();
  const key = generateApiKey();
  await database.db.insert(tables.apiKeys).values({
    orgId: org!.id,
    name: `${name} key`,
    prefix: key.prefix,
    keyHash: key.hash,
    role,
  });
  return { orgId: org!.id, key: key.token };
}

/** The Authorization header for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Creates a task through the API with the admin key; returns its id. */
export async function createTaskThroughApi(t: TestApp, projectId: string, description: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/tasks',
    headers: bearer(t.adminKey),
    payload: { projectId, description },
  });
  return response.json().id as string;
}
