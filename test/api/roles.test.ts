import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    roles: [
      {
        name: 'tech-writer',
        description: 'Writes the docs',
        systemPrompt: 'Write clear docs.',
        tools: ['read_file', 'write_file', 'finish'],
      },
    ],
  });
});
afterAll(() => t.close());

describe('roles API', () => {
  it('lists the built-in team and the roles of the configuration', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/roles',
      headers: bearer(t.adminKey),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((role: { name: string }) => role.name)).toEqual([
      'planner',
      'architect',
      'developer',
      'reviewer',
      'tester',
      'devops',
      'tech-writer',
    ]);
  });

  it('overrides a built-in role for one organization only, and reverts it on delete', async () => {
    const headers = bearer(t.adminKey);
    const reviewer = (
      await t.app.inject({ method: 'GET', url: '/api/roles/reviewer', headers })
    ).json();
    const { name: _name, ...body } = { ...reviewer, maxTurns: 3, systemPrompt: 'Be strict.' };
    const saved = await t.app.inject({
      method: 'PUT',
      url: '/api/roles/reviewer',
      headers,
      payload: body,
    });
    expect(saved.statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/roles/reviewer', headers })).json(),
    ).toMatchObject({ maxTurns: 3, systemPrompt: 'Be strict.' });

    const other = await createOrganization(t.database, 'Elsewhere');
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/roles/reviewer',
          headers: bearer(other.key),
        })
      ).json().maxTurns,
    ).toBe(20);

    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/roles/reviewer', headers })).statusCode,
    ).toBe(204);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/roles/reviewer', headers })).json().maxTurns,
    ).toBe(20);
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/api/roles/reviewer', headers })).statusCode,
    ).toBe(404);
  });

  it('refuses a role without the finish tool, and a bad name, changing nothing', async () => {
    const headers = bearer(t.adminKey);
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/api/roles/poet',
      headers,
      payload: { description: 'Writes poems', systemPrompt: 'Rhyme.', tools: ['read_file'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/finish/);
    const badName = await t.app.inject({
      method: 'PUT',
      url: '/api/roles/Bad%20Name',
      headers,
      payload: { description: 'x', systemPrompt: 'x', tools: ['finish'] },
    });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error.message).toMatch(/params\.name/);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/roles/poet', headers })).statusCode,
    ).toBe(404);
  });

  it('lets a viewer read roles but not change them', async () => {
    const viewer = await createOrganization(t.database, 'Viewers', 'viewer');
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/roles', headers: bearer(viewer.key) }))
        .statusCode,
    ).toBe(200);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/roles/developer',
      headers: bearer(viewer.key),
      payload: { description: 'x', systemPrompt: 'x', tools: ['finish'] },
    });
    expect(put.statusCode).toBe(403);
  });
});
