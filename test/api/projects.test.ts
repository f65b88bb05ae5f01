import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('projects', () => {
  it('creates, lists, gets, updates and deletes a project', async () => {
    const headers = bearer(t.adminKey);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'shop', description: 'A web shop' },
    });
    expect(created.statusCode).toBe(201);
    const project = created.json();
    expect(project).toMatchObject({
      name: 'shop',
      description: 'A web shop',
      isConfidential: false,
    });

    const list = await t.app.inject({ method: 'GET', url: '/api/projects', headers });
    expect(list.json().items.map((p: { name: string }) => p.name)).toContain('shop');

    const updated = await t.app.inject({
      method: 'PATCH',
      url: `/api/projects/${project.id}`,
      headers,
      payload: { isConfidential: true },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ name: 'shop', isConfidential: true });

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/projects/${project.id}`,
      headers,
    });
    expect(deleted.statusCode).toBe(204);
    const gone = await t.app.inject({ method: 'GET', url: `/api/projects/${project.id}`, headers });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('NOT_FOUND');
  });

  it('answers 409 CONFLICT for a name already used, and writes nothing', async () => {
    const headers = bearer(t.adminKey);
    await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'twice' },
    });
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers,
      payload: { name: 'twice' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'CONFLICT' });
    const rows = await t.database.db.select().from(tables.projects);
    expect(rows.filter((row) => row.name === 'twice')).toHaveLength(1);
  });

  it("hides another organization's project behind 404", async () => {
    const other = await createOrganization(t.database, 'Other');
    const mine = (
      await t.app.inject({
        method: 'POST',
        url: '/api/projects',
        headers: bearer(t.adminKey),
        payload: { name: 'private' },
      })
    ).json();
    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', { name: 'stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await t.app.inject({
        method,
        url: `/api/projects/${mine.id}`,
        headers: bearer(other.key),
        payload,
      });
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('private');
    }
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: bearer(other.key),
    });
    expect(list.json().items).toEqual([]);
  });
});
