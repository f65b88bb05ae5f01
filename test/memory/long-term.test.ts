import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { recall, remember } from '../../src/memory/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject } from '../helpers/tasks.js';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe('long-term memory', () => {
  it('finds facts by words and tags, best match first, within one project only', async () => {
    const shop = await createOrgAndProject(database.db, 'shop');
    const other = await createOrgAndProject(database.db, 'other');
    await remember(database.db, shop, 'The payment service retries webhooks three times.', [
      'payments',
    ]);
    await remember(
      database.db,
      shop,
      'Tests run with npm test; the database tests need Postgres.',
      ['testing'],
    );
    await remember(database.db, shop, 'Webhooks are signed with HMAC-SHA256.', []);
    await remember(database.db, other, 'Webhooks in the other project are unsigned.', []);

    const found = await recall(database.db, shop, 'webhooks signed');
    expect(found.map((item) => item.text)).toEqual(['Webhooks are signed with HMAC-SHA256.']);
    expect((await recall(database.db, shop, 'webhook')).map((item) => item.text)).toHaveLength(2);
    expect((await recall(database.db, shop, 'testing')).map((item) => item.tags)).toEqual([
      ['testing'],
    ]);
    expect(await recall(database.db, shop, 'kubernetes')).toEqual([]);
  });
});
