// Credentials are kept in memory for a few seconds; a revocation made by another API node
// (here: straight in the database) must still take effect at once, through Postgres.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('the credential cache', () => {
  it('forgets a key revoked by another node as soon as Postgres says so', async () => {
    const other = await createOrganization(t.database, 'Cached');
    const get = () =>
      t.app.inject({ method: 'GET', url: '/api/projects', headers: bearer(other.key) });
    expect((await get()).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(200); // now served from memory

    const started = Date.now();
    await t.database.db
      .update(tables.apiKeys)
      .set({ revokedAt: new Date() })
      .where(eq(tables.apiKeys.orgId, other.orgId));
    await waitFor(
      'the revoked key to be refused',
      async () => (await get()).statusCode === 401,
      5000,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a key whose expiry passes while it is cached', async () => {
    const other = await createOrganization(t.database, 'Expiring');
    const expiresAt = new Date(Date.now() + 1500);
    await t.database.db
      .update(tables.apiKeys)
      .set({ expiresAt })
      .where(eq(tables.apiKeys.orgId, other.orgId));
    const get = () =>
      t.app.inject({ method: 'GET', url: '/api/projects', headers: bearer(other.key) });
    await waitFor(
      'the key to be cached before its expiry',
      async () => Date.now() < expiresAt.getTime() && (await get()).statusCode === 200,
    );
    await waitFor('the key to expire', async () => (await get()).statusCode === 401, 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
  });
});
