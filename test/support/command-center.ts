// The whole command center for browser tests: the real API and built web app on a loopback
// port, over a back end whose agents are scripted models (createOrchestra), with a seeded
// project and an owner's API key. Use it inside vitest; close it in afterAll.
import { join } from 'node:path';
import { buildApp } from '../../src/api/index.js';
import { generateApiKey } from '../../src/auth/index.js';
import { Config } from '../../src/config/index.js';
import { tables } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import type { ScriptedTurn } from '../../src/testing/index.js';
import { repositoryRoot } from '../e2e/cli-process.js';
import { createOrchestra, oneTaskScript } from '../helpers/orchestra.js';

/**
 * Starts it with scripts for `tasks` tasks run one after another, or with the given `scripts`
 * (which the test extends through `orchestra.models`).
 */
export async function startCommandCenter({
  tasks = 3,
  scripts: given,
}: { tasks?: number; scripts?: Record<string, ScriptedTurn[]> } = {}) {
  const scripts: Record<string, ScriptedTurn[]> = given ?? {};
  for (let index = 0; index < (given ? 0 : tasks); index++) {
    for (const [role, turns] of Object.entries(oneTaskScript())) {
      // Tokens, so that the ledger, the costs and the charts have something to show.
      (scripts[role] ??= []).push(
        ...turns.map((turn) => ({ ...turn, usage: { inputTokens: 1800, outputTokens: 400 } })),
      );
    }
  }
  const orchestra = await createOrchestra({
    scripts,
    modelInfo: { prices: { input: 3, output: 15, cachedInput: 0.3 } },
  });
  const { orgId, projectId } = await orchestra.seedProject('math');
  const key = generateApiKey();
  await orchestra.database.db
    .insert(tables.apiKeys)
    .values({ orgId, name: 'browser', prefix: key.prefix, keyHash: key.hash, role: 'owner' });
  const app = await buildApp({
    config: Config.parse({ dataDir: orchestra.dataDir }),
    database: orchestra.database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    webRoot: join(repositoryRoot, 'dist', 'web'),
    gateway: orchestra.gateway,
    workspaces: orchestra.workspaces,
    bus: orchestra.bus,
    // The worker's box: what the API seals (host tokens, webhook secrets) the worker can open.
    secrets: orchestra.secrets,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    key: key.token,
    orgId,
    projectId,
    orchestra,
    async close() {
      await app.close();
      await orchestra.close();
    },
  };
}

export type CommandCenter = Awaited<ReturnType<typeof startCommandCenter>>;
