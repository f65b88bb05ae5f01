// Shared set-up for gateway tests: a migrated database with an organization, a gateway on
// fake model servers, and an injected sleep that records delays instead of waiting.
import { Registry } from 'prom-client';
import { Config } from '../../src/config/index.js';
import type { Database } from '../../src/db/index.js';
import { createGateway, type Gateway, type ProviderPlugin } from '../../src/llm/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createOrganization } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';

export interface GatewayHarness {
  gateway: Gateway;
  registry: Registry;
  /** Every delay the gateway asked to sleep, in ms. */
  sleeps: number[];
  clock: { now: number };
}

export interface HarnessOptions {
  database: Database;
  /** The `models` section of the configuration. */
  models: Record<string, unknown>;
  /** The `providers` section (the standard variables: OPENAI_BASE_URL…). */
  providerSettings?: Record<string, unknown>;
  providers?: ProviderPlugin[];
  random?: () => number;
  /** Whether a sleep moves the clock on by its length (fake time passing), or not at all. */
  sleepAdvancesClock?: boolean;
}

const open: Gateway[] = [];

/** Closes every gateway the helpers made (each holds a listening connection). */
export async function closeHarnesses(): Promise<void> {
  await Promise.all(open.splice(0).map((gateway) => gateway.close()));
}

/** A gateway whose sleep returns at once and whose clock moves only when told (or slept on). */
export function createHarness({
  database,
  models,
  providerSettings = {},
  providers = [],
  random = () => 0.5,
  sleepAdvancesClock = false,
}: HarnessOptions): GatewayHarness {
  const registry = new Registry();
  const sleeps: number[] = [];
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const config = Config.parse({ dataDir: '/nonexistent', models, providers: providerSettings });
  const gateway = createGateway({
    config,
    db: database.db,
    logger: createLogger({ level: 'silent' }),
    registry,
    providers,
    now: () => clock.now,
    random,
    sleep: async (milliseconds, signal) => {
      sleeps.push(milliseconds);
      if (signal?.aborted) throw signal.reason;
      if (sleepAdvancesClock) clock.now += milliseconds;
    },
  });
  open.push(gateway);
  return { gateway, registry, sleeps, clock };
}

/** A catalog entry for a model served by a fake endpoint. */
export function fakeModel(id: string, endpoint: string, fields: Record<string, unknown> = {}) {
  return {
    id,
    endpoint,
    providerModelId: 'fake-model',
    tier: 'balanced',
    contextWindow: 100_000,
    maxOutputTokens: 1_000,
    capabilities: { tools: true },
    prices: { input: 1, output: 2, cachedInput: 0.5 },
    ...fields,
  };
}

/** A fresh database and organization for one test file. */
export async function createLlmTestDatabase() {
  const database = await createTestDatabase();
  const { orgId } = await createOrganization(database, 'Models');
  return { database, orgId };
}
