import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('API keys', () => {
  it('refuses a key that would expire in the past, and makes none', async () => {
    const before = await t.database.db.select().from(tables.apiKeys);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(t.adminKey),
      payload: { name: 'stale', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('body.expiresAt: must be in the future'),
    });
    expect(await t.database.db.select().from(tables.apiKeys)).toHaveLength(before.length);
  });

  it('answers an unknown email and a wrong password alike', async () => {
    const signIn = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        payload: { email, password: 'not the password' },
      });
    const [unknown, wrong] = [await signIn('nobody@example.com'), await signIn('admin@localhost')];
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
  });
});
