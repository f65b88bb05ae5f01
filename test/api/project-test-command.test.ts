// A project's verification settings through the API: the test command Cadre runs before each
// merge (or null to detect it) and whether it may merge unverified. Bad values change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("a project's test command", () => {
  it('is detected by default, can be set and cleared, and allows unverified merges only when asked', async () => {
    const headers = bearer(t.adminKey);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'verified' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ testCommand: null, allowUntestedMerge: false });
    const url = `/api/projects/${created.json().id}`;

    const set = await t.app.inject({
      method: 'PATCH',
      url,
      headers,
      payload: { testCommand: '  make check  ', allowUntestedMerge: true },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ testCommand: 'make check', allowUntestedMerge: true });

    const cleared = await t.app.inject({
      method: 'PATCH',
      url,
      headers,
      payload: { testCommand: null },
    });
    expect(cleared.json()).toMatchObject({ testCommand: null, allowUntestedMerge: true });

    const withCommand = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'with-command', testCommand: 'npm run test:unit' },
    });
    expect(withCommand.json()).toMatchObject({ testCommand: 'npm run test:unit' });
  });

  it('refuses an empty, multi-line or overlong command with 400 and changes nothing', async () => {
    const headers = bearer(t.adminKey);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'strict', testCommand: 'npm test' },
    });
    const url = `/api/projects/${created.json().id}`;
    for (const testCommand of ['   ', 'npm test\nrm -rf /', 'x'.repeat(2001), 42]) {
      const refused = await t.app.inject({
        method: 'PATCH',
        url,
        headers,
        payload: { testCommand },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('VALIDATION_FAILED');
    }
    const creating = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'never-made', testCommand: 'a\rb' },
    });
    expect(creating.statusCode).toBe(400);
    const after = await t.app.inject({ method: 'GET', url, headers });
    expect(after.json()).toMatchObject({ testCommand: 'npm test', allowUntestedMerge: false });
    const list = await t.app.inject({ method: 'GET', url: '/api/projects', headers });
    expect(list.json().items.map((p: { name: string }) => p.name)).not.toContain('never-made');
  });

  it('keeps the auth rules: 401 without a key, 404 for another organization', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(t.adminKey),
      payload: { name: 'guarded' },
    });
    const url = `/api/projects/${created.json().id}`;
    const anonymous = await t.app.inject({ method: 'PATCH', url, payload: { testCommand: 'x' } });
    expect(anonymous.statusCode).toBe(401);
    const other = await createOrganization(t.database, 'Other');
    const foreign = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(other.key),
      payload: { testCommand: 'curl evil' },
    });
    expect(foreign.statusCode).toBe(404);
    const after = await t.app.inject({ method: 'GET', url, headers: bearer(t.adminKey) });
    expect(after.json().testCommand).toBeNull();
  });
});
