import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const password = 'correct horse battery staple';

async function signIn(email: string, secret: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    payload: { email, password: secret },
  });
}

async function auditActions(): Promise<string[]> {
  const rows = await t.database.db.select({ action: tables.auditLog.action }).from(tables.auditLog);
  return rows.map((row) => row.action);
}

describe('password sign-in and sessions', () => {
  it('sets a password, signs in, uses the session and signs out', async () => {
    const set = await t.app.inject({
      method: 'PUT',
      url: '/api/auth/password',
      headers: bearer(t.adminKey),
      payload: { password },
    });
    expect(set.statusCode).toBe(204);

    const signedIn = await signIn('Admin@Localhost ', password);
    expect(signedIn.statusCode).toBe(200);
    const { token, expiresAt } = signedIn.json();
    expect(token).toMatch(/^cadre_session_/);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());

    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      credential: 'session',
      role: 'owner',
      user: { email: 'admin@localhost', hasPassword: true },
    });
    const projects = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(token),
    });
    expect(projects.statusCode).toBe(200);

    const out = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: bearer(token),
    });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: bearer(token),
    });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHENTICATED');

    expect(await auditActions()).toEqual(
      expect.arrayContaining(['password-changed', 'user-signed-in']),
    );
  });

  it('answers a wrong password exactly as an unknown email', async () => {
    const wrongPassword = await signIn('admin@localhost', 'not the password at all');
    const unknownEmail = await signIn('nobody@example.com', password);
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual(unknownEmail.json());
    expect(wrongPassword.json().error).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'Wrong email or password.',
    });
  });
});

describe('API keys', () => {
  it('shows a new key once, lists only its prefix, and revoking it stops it at once', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(t.adminKey),
      payload: { name: 'ci', role: 'member' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key.key).toMatch(/^cadre_[0-9A-Za-z]{40}$/);
    expect(key.key.startsWith(key.prefix)).toBe(true);

    const works = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(key.key),
    });
    expect(works.statusCode).toBe(200);

    // The last use is recorded after the answer: poll the list until it shows.
    const listKeys = () =>
      t.app.inject({ method: 'GET', url: '/api/keys', headers: bearer(t.adminKey) });
    let list = await listKeys();
    const listed = () => list.json().items.find((item: { id: string }) => item.id === key.id);
    for (const deadline = Date.now() + 5000; !listed().lastUsedAt && Date.now() < deadline;) {
      list = await listKeys();
    }
    expect(list.statusCode).toBe(200);
    expect(listed()).toMatchObject({ name: 'ci', prefix: key.prefix, role: 'member' });
    expect(new Date(listed().lastUsedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(list.body).not.toContain(key.key);
    const [stored] = await t.database.db
      .select({ keyHash: tables.apiKeys.keyHash })
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.id, key.id));
    expect(stored!.keyHash).not.toContain(key.key);
    expect(list.body).not.toContain(stored!.keyHash);
    expect(list.body).not.toMatch(/hash/i);

    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/keys/${key.id}`,
      headers: bearer(t.adminKey),
    });
    expect(revoked.statusCode).toBe(204);
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(key.key),
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('UNAUTHENTICATED');
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/api/keys/${key.id}`,
      headers: bearer(t.adminKey),
    });
    expect(again.statusCode).toBe(404);

    expect(await auditActions()).toEqual(
      expect.arrayContaining(['api-key-created', 'api-key-revoked']),
    );
  });

  it('refuses an expired key', async () => {
    const [org] = await t.database.db.select().from(tables.organizations).limit(1);
    const key = generateApiKey();
    await t.database.db.insert(tables.apiKeys).values({
      orgId: org!.id,
      name: 'expired',
      prefix: key.prefix,
      keyHash: key.hash,
      role: 'owner',
      expiresAt: new Date(Date.now() - 1000),
    });
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(key.token),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('lets a viewer key read but not write', async () => {
    const viewer = (
      await t.app.inject({
        method: 'POST',
        url: '/api/keys',
        headers: bearer(t.adminKey),
        payload: { name: 'dashboard', role: 'viewer' },
      })
    ).json();
    const read = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(viewer.key),
    });
    expect(read.statusCode).toBe(200);
    const before = await t.database.db.select().from(tables.projects);
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(viewer.key),
      payload: { name: 'not allowed' },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().error).toMatchObject({
      code: 'FORBIDDEN',
      details: { permission: 'projects:write', role: 'viewer' },
    });
    expect(await t.database.db.select().from(tables.projects)).toEqual(before);
    const keys = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(viewer.key),
      payload: { name: 'escalate', role: 'owner' },
    });
    expect(keys.statusCode).toBe(403);
  });

  it('lets only an owner make an owner key', async () => {
    const admin = (
      await t.app.inject({
        method: 'POST',
        url: '/api/keys',
        headers: bearer(t.adminKey),
        payload: { name: 'admin', role: 'admin' },
      })
    ).json();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/keys',
      headers: bearer(admin.key),
      payload: { name: 'escalate', role: 'owner' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('FORBIDDEN');
  });
});
