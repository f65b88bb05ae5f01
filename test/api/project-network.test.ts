// Turning a project's sandbox network on is an owner's or admin's decision, and is audited;
// a member is refused, at creation and by PATCH, and nothing changes.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let memberKey: string;
let viewerKey: string;

async function keyOfRole(role: 'member' | 'viewer') {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/keys',
    headers: bearer(t.adminKey),
    payload: { name: `${role} key`, role },
  });
  expect(created.statusCode).toBe(201);
  return created.json().key as string;
}

const networkAudits = (projectId: string) =>
  t.database.db
    .select()
    .from(tables.auditLog)
    .where(and(eq(tables.auditLog.targetId, projectId), eq(tables.auditLog.targetType, 'project')))
    .then((rows) => rows.filter((row) => row.action.startsWith('project-network-')));

beforeAll(async () => {
  t = await createTestApp();
  memberKey = await keyOfRole('member');
  viewerKey = await keyOfRole('viewer');
});
afterAll(() => t.close());

describe("a project's network", () => {
  it('refuses a member who creates a project with the network on, and creates nothing', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(memberKey),
      payload: { name: 'open-by-member', hasNetwork: true },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('projects:network'),
      details: { permission: 'projects:network', role: 'member' },
    });
    const rows = await t.database.db
      .select()
      .from(tables.projects)
      .where(eq(tables.projects.name, 'open-by-member'));
    expect(rows).toEqual([]);
  });

  it('refuses a member who turns it on by PATCH, and lets them turn it off', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(memberKey),
      payload: { name: 'members-project' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const opened = await t.app.inject({
      method: 'PATCH',
      url: `/api/projects/${id}`,
      headers: bearer(memberKey),
      payload: { hasNetwork: true, description: 'also this' },
    });
    expect(opened.statusCode).toBe(403);
    expect(opened.json().error.details).toEqual({ permission: 'projects:network', role: 'member' });
    const after = await t.app.inject({
      method: 'GET',
      url: `/api/projects/${id}`,
      headers: bearer(memberKey),
    });
    expect(after.json().hasNetwork).toBe(false);
    expect(after.json().description).not.toBe('also this');
    const closed = await t.app.inject({
      method: 'PATCH',
      url: `/api/projects/${id}`,
      headers: bearer(memberKey),
      payload: { hasNetwork: false },
    });
    expect(closed.statusCode).toBe(200);
    expect(await networkAudits(id)).toEqual([]);
  });

  it('lets an admin turn it on, at creation and by PATCH, with an audit row each time', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(t.adminKey),
      payload: { name: 'open-by-admin', hasNetwork: true },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().hasNetwork).toBe(true);
    const createdId = created.json().id as string;
    expect(await networkAudits(createdId)).toEqual([
      expect.objectContaining({
        action: 'project-network-enabled',
        actorType: 'api-key',
        data: { hasNetwork: true },
        requestId: expect.any(String),
      }),
    ]);

    const plain = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(memberKey),
      payload: { name: 'opened-later' },
    });
    const id = plain.json().id as string;
    const opened = await t.app.inject({
      method: 'PATCH',
      url: `/api/projects/${id}`,
      headers: bearer(t.adminKey),
      payload: { hasNetwork: true },
    });
    expect(opened.statusCode).toBe(200);
    expect(opened.json().hasNetwork).toBe(true);
    const closed = await t.app.inject({
      method: 'PATCH',
      url: `/api/projects/${id}`,
      headers: bearer(memberKey),
      payload: { hasNetwork: false },
    });
    expect(closed.statusCode).toBe(200);
    expect((await networkAudits(id)).map((row) => row.action).sort()).toEqual([
      'project-network-disabled',
      'project-network-enabled',
    ]);
  });

  it('keeps the 401, 403 and 404 rules of the project routes', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(t.adminKey),
      payload: { name: 'rules' },
    });
    const url = `/api/projects/${created.json().id}`;
    const payload = { hasNetwork: true };
    const anonymous = await t.app.inject({ method: 'PATCH', url, payload });
    expect(anonymous.statusCode).toBe(401);
    const viewer = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(viewerKey),
      payload,
    });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().error.details).toMatchObject({ permission: 'projects:write' });
    // Another organization's owner learns nothing about the project, not even that it exists.
    const stranger = await createOrganization(t.database, 'Stranger');
    const foreign = await t.app.inject({
      method: 'PATCH',
      url,
      headers: bearer(stranger.key),
      payload,
    });
    expect(foreign.statusCode).toBe(404);
    const after = await t.app.inject({ method: 'GET', url, headers: bearer(t.adminKey) });
    expect(after.json().hasNetwork).toBe(false);
  });
});
