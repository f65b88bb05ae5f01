// Changing a password: the current one is needed once one is set, a refusal changes nothing,
// and a change ends every other session of the user while the one that made it stays.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const first = 'the first long password';
const second = 'the second long password';

const put = (token: string, payload: object) =>
  t.app.inject({ method: 'PUT', url: '/api/auth/password', headers: bearer(token), payload });
const signIn = async (password: string) => {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    payload: { email: 'admin@localhost', password },
  });
  return { status: response.statusCode, token: response.json().token as string };
};
const me = async (token: string) =>
  (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) })).statusCode;
const storedHash = async () =>
  (
    await t.database.db
      .select({ hash: tables.users.passwordHash })
      .from(tables.users)
      .where(eq(tables.users.email, 'admin@localhost'))
  )[0]!.hash;

describe('changing a password', () => {
  it('sets the first password without a current one', async () => {
    expect((await put(t.adminKey, { password: first })).statusCode).toBe(204);
    expect((await signIn(first)).status).toBe(200);
  });

  it('refuses a change without the current password, or with a wrong one, and changes nothing', async () => {
    const session = await signIn(first);
    const before = await storedHash();
    const sessionsBefore = await t.database.db.select().from(tables.sessions);

    const missing = await put(session.token, { password: second });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('CURRENT_PASSWORD_REQUIRED');
    const wrong = await put(session.token, { password: second, currentPassword: 'not it at all' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('CURRENT_PASSWORD_WRONG');
    // An API key does not stand in for the password either.
    const byKey = await put(t.adminKey, { password: second });
    expect(byKey.json().error.code).toBe('CURRENT_PASSWORD_REQUIRED');

    expect(await storedHash()).toBe(before);
    expect(await t.database.db.select().from(tables.sessions)).toEqual(sessionsBefore);
    expect((await signIn(second)).status).toBe(401);
    expect((await signIn(first)).status).toBe(200);
  });

  it('ends every other session, keeps the one that made the change, and keeps API keys', async () => {
    const laptop = await signIn(first);
    const phone = await signIn(first);
    const tablet = await signIn(first);
    for (const session of [laptop, phone, tablet]) expect(await me(session.token)).toBe(200);

    const changed = await put(laptop.token, { password: second, currentPassword: first });
    expect(changed.statusCode).toBe(204);

    expect(await me(laptop.token)).toBe(200);
    expect(await me(phone.token)).toBe(401);
    expect(await me(tablet.token)).toBe(401);
    expect(await me(t.adminKey)).toBe(200);
    expect((await signIn(first)).status).toBe(401);
    expect((await signIn(second)).status).toBe(200);
    const [audit] = await t.database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.action, 'password-changed'))
      .orderBy(tables.auditLog.id)
      .offset(1);
    expect(audit!.data).toMatchObject({ endedSessions: expect.any(Number) });
    expect((audit!.data as { endedSessions: number }).endedSessions).toBeGreaterThanOrEqual(2);
  });

  it('ends every session when an API key makes the change', async () => {
    const session = await signIn(second);
    const changed = await put(t.adminKey, { password: first, currentPassword: second });
    expect(changed.statusCode).toBe(204);
    expect(await me(session.token)).toBe(401);
    expect((await signIn(first)).status).toBe(200);
  });
});
