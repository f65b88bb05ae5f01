// The credential cache across a lost notification connection: while it cannot hear
// revocations it serves nothing from memory, and once its channel is back a revocation made
// by another node still takes effect at once.
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialCache, type CredentialCache } from '../../src/auth/index.js';
import { connectDatabase, tables, type Database } from '../../src/db/index.js';
import { createOrganization } from '../helpers/app.js';
import { createTestDatabaseUrl } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

let url: string;
let database: Database;
let cache: CredentialCache;
const messages: string[] = [];

beforeAll(async () => {
  url = await createTestDatabaseUrl();
  database = connectDatabase({
    url,
    poolSize: 3,
    log: { info: (_fields, message) => messages.push(message), warn: (_f, m) => messages.push(m) },
    // A slow first reconnection keeps the channel down long enough to act while it is.
    backoff: { initialMs: 2_000, maxMs: 2_000 },
  });
  cache = await createCredentialCache({ database });
});
afterAll(async () => {
  await cache?.close();
  await database?.close();
});

async function terminateOtherSessions() {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  } finally {
    await admin.end();
  }
}

const revoke = (orgId: string) =>
  database.db
    .update(tables.apiKeys)
    .set({ revokedAt: new Date() })
    .where(eq(tables.apiKeys.orgId, orgId));

describe('the credential cache without its channel', () => {
  it('refuses a key revoked while it could not listen, and one revoked after it is back', async () => {
    const first = await createOrganization(database, 'Outage');
    expect(await cache.authenticate(first.key)).not.toBeNull();
    expect(await cache.authenticate(first.key)).not.toBeNull(); // now in memory

    await terminateOtherSessions();
    await waitFor('the channel to be lost', () =>
      messages.includes('LISTEN connection lost; reconnecting'),
    );
    await revoke(first.orgId); // its notification reaches no one
    expect(await cache.authenticate(first.key)).toBeNull();

    await waitFor(
      'the channel to be back',
      () => messages.includes('LISTEN connection restored'),
      10_000,
    );
    const second = await createOrganization(database, 'Afterwards');
    expect(await cache.authenticate(second.key)).not.toBeNull();
    expect(await cache.authenticate(second.key)).not.toBeNull();
    await revoke(second.orgId);
    await waitFor(
      'the revoked key to be refused',
      async () => (await cache.authenticate(second.key)) === null,
      2_000,
    );
  });
});
