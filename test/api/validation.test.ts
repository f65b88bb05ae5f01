// Bad input gets 400 VALIDATION_FAILED with a message naming the field, and writes nothing.
import { randomUUID } from 'node:crypto';
import type { HTTPMethods } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let projectId: string;
beforeAll(async () => {
  // The smallest body limit the configuration allows, to reach it cheaply.
  t = await createTestApp({ server: ServerConfig.parse({ bodyLimit: 1024 }) });
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/projects',
    headers: bearer(t.adminKey),
    payload: { name: 'existing' },
  });
  projectId = created.json().id;
});
afterAll(() => t.close());

const countedTables = [
  'organizations',
  'users',
  'memberships',
  'api_keys',
  'sessions',
  'projects',
  'tasks',
  'events',
  'audit_log',
];

/** Rows in every table that a create route could write to. */
async function rowCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of countedTables) {
    const result = await t.database.db.execute<{ n: number }>(
      sql.raw(`SELECT count(*)::int AS n FROM ${table}`),
    );
    counts[table] = result.rows[0]!.n;
  }
  return counts;
}

interface BadInput {
  name: string;
  method: HTTPMethods;
  url: () => string;
  payload: unknown;
  field: string;
  isPublic?: boolean;
}

const long = (length: number) => 'x'.repeat(length);

const badInputs: BadInput[] = [
  // POST /api/projects
  {
    name: 'project without a name',
    method: 'POST',
    url: () => '/api/projects',
    payload: { description: 'd' },
    field: 'name',
  },
  {
    name: 'project name of the wrong type',
    method: 'POST',
    url: () => '/api/projects',
    payload: { name: 42 },
    field: 'name',
  },
  {
    name: 'project with an unknown field',
    method: 'POST',
    url: () => '/api/projects',
    payload: { name: 'a', owner: 'me' },
    field: 'owner',
  },
  {
    name: 'project name too long',
    method: 'POST',
    url: () => '/api/projects',
    payload: { name: long(101) },
    field: 'name',
  },
  {
    name: 'project name of blanks',
    method: 'POST',
    url: () => '/api/projects',
    payload: { name: '   ' },
    field: 'name',
  },
  {
    name: 'project flag of the wrong type',
    method: 'POST',
    url: () => '/api/projects',
    payload: { name: 'a', hasNetwork: 'yes' },
    field: 'hasNetwork',
  },
  // PATCH /api/projects/:id
  {
    name: 'project change with a bad uuid',
    method: 'PATCH',
    url: () => '/api/projects/not-a-uuid',
    payload: { name: 'b' },
    field: 'id',
  },
  {
    name: 'project change of nothing',
    method: 'PATCH',
    url: () => `/api/projects/${projectId}`,
    payload: {},
    field: 'body',
  },
  {
    name: 'project change with an unknown field',
    method: 'PATCH',
    url: () => `/api/projects/${projectId}`,
    payload: { colour: 'red' },
    field: 'colour',
  },
  {
    name: 'project change too long',
    method: 'PATCH',
    url: () => `/api/projects/${projectId}`,
    payload: { name: long(101) },
    field: 'name',
  },
  // POST /api/tasks
  {
    name: 'task without a description',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: randomUUID() },
    field: 'description',
  },
  {
    name: 'task with a bad project uuid',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: 'p1', description: 'd' },
    field: 'projectId',
  },
  {
    name: 'task priority of the wrong type',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: randomUUID(), description: 'd', priority: 'high' },
    field: 'priority',
  },
  {
    name: 'task priority out of range',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: randomUUID(), description: 'd', priority: 1000 },
    field: 'priority',
  },
  {
    name: 'task title too long',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: randomUUID(), description: 'd', title: long(201) },
    field: 'title',
  },
  {
    name: 'task with an unknown field',
    method: 'POST',
    url: () => '/api/tasks',
    payload: { projectId: randomUUID(), description: 'd', status: 'done' },
    field: 'status',
  },
  // POST /api/keys
  {
    name: 'key without a name',
    method: 'POST',
    url: () => '/api/keys',
    payload: { role: 'viewer' },
    field: 'name',
  },
  {
    name: 'key with an unknown role',
    method: 'POST',
    url: () => '/api/keys',
    payload: { name: 'k', role: 'god' },
    field: 'role',
  },
  {
    name: 'key with a bad expiry',
    method: 'POST',
    url: () => '/api/keys',
    payload: { name: 'k', expiresAt: 'tomorrow' },
    field: 'expiresAt',
  },
  {
    name: 'key name too long',
    method: 'POST',
    url: () => '/api/keys',
    payload: { name: long(101) },
    field: 'name',
  },
  // POST /api/auth/sign-in
  {
    name: 'sign-in without a password',
    method: 'POST',
    url: () => '/api/auth/sign-in',
    payload: { email: 'admin@localhost' },
    field: 'password',
    isPublic: true,
  },
  {
    name: 'sign-in email of the wrong type',
    method: 'POST',
    url: () => '/api/auth/sign-in',
    payload: { email: ['a'], password: 'p' },
    field: 'email',
    isPublic: true,
  },
  {
    name: 'sign-in with an unknown field',
    method: 'POST',
    url: () => '/api/auth/sign-in',
    payload: { email: 'a', password: 'p', remember: true },
    field: 'remember',
    isPublic: true,
  },
  // PUT /api/auth/password
  {
    name: 'password too short',
    method: 'PUT',
    url: () => '/api/auth/password',
    payload: { password: 'short' },
    field: 'password',
  },
  {
    name: 'password missing',
    method: 'PUT',
    url: () => '/api/auth/password',
    payload: {},
    field: 'password',
  },
  {
    name: 'password too long',
    method: 'PUT',
    url: () => '/api/auth/password',
    payload: { password: long(1001) },
    field: 'password',
  },
];

describe('create and change routes reject bad input', () => {
  it.each(badInputs.map((input) => [input.name, input] as const))(
    '%s: 400 naming the field, nothing written',
    async (_name, input) => {
      const before = await rowCounts();
      const response = await t.app.inject({
        method: input.method,
        url: input.url(),
        headers: input.isPublic ? {} : bearer(t.adminKey),
        payload: input.payload as object,
      });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain(input.field);
      expect(Array.isArray(error.details)).toBe(true);
      expect(await rowCounts()).toEqual(before);
    },
  );
});

describe('request bodies', () => {
  it('answers 400 for malformed JSON', async () => {
    const before = await rowCounts();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
      payload: '{"name": "half',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(response.json().error.message).toMatch(/JSON/i);
    expect(await rowCounts()).toEqual(before);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { ...bearer(t.adminKey), 'content-type': 'text/csv' },
      payload: 'name\nshop\n',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const before = await rowCounts();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: bearer(t.adminKey),
      payload: { name: 'big', description: long(2000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await rowCounts()).toEqual(before);
  });
});
