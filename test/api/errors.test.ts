import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfig } from '../../src/config/index.js';
import { bearer, createOrganization, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('error answers', () => {
  it('answers 404 ROUTE_NOT_FOUND for an unknown route', async () => {
    const api = await t.app.inject({
      method: 'GET',
      url: '/api/nothing-here?x=1',
      headers: bearer(t.adminKey),
    });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({
      error: { code: 'ROUTE_NOT_FOUND', message: 'No route GET /api/nothing-here.' },
    });
    const other = await t.app.inject({ method: 'DELETE', url: '/healthz' });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('echoes a given request id and makes one otherwise', async () => {
    const given = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(given.headers['x-request-id']).toBe('trace-42');
    const made = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes the HTTP latency histogram by route and status at /metrics', async () => {
    await t.app.inject({ method: 'GET', url: '/api/projects', headers: bearer(t.adminKey) });
    await t.app.inject({ method: 'GET', url: '/api/projects' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const text = metrics.body;
    expect(text).toMatch(
      /cadre_http_request_duration_seconds_count\{method="GET",route="\/api\/projects",status="200"\} 1/,
    );
    expect(text).toMatch(
      /cadre_http_request_duration_seconds_count\{method="GET",route="\/api\/projects",status="401"\} 1/,
    );
    expect(text).toContain('cadre_process_resident_memory_bytes');
  });

  it('serves an OpenAPI document listing the API', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/projects', '/api/projects/{id}', '/api/tasks']),
    );
    expect(document.paths['/api/projects'].post.requestBody).toBeDefined();
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('a failed git command', () => {
  it('answers GIT_FAILED without what git said, which names server paths', async () => {
    const headers = bearer(t.adminKey);
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url, headers, payload });
    const project = (await post('/api/projects', { name: 'broken-git' })).json();
    expect((await post(`/api/projects/${project.id}/workspace`, {})).statusCode).toBe(201);
    const task = (await post('/api/tasks', { projectId: project.id, description: 'x' })).json();
    const base = `/api/projects/${project.id}/tasks/${task.id}`;
    expect((await post(`${base}/worktree`, {})).statusCode).toBe(201);
    const gitDir = join(t.dataDir, 'workspaces', project.id, 'repo.git');
    await rm(join(gitDir, 'objects'), { recursive: true, force: true });

    const diff = await t.app.inject({ method: 'GET', url: `${base}/diff`, headers });
    expect(diff.statusCode).toBe(500);
    expect(diff.json().error).toMatchObject({ code: 'GIT_FAILED', requestId: expect.any(String) });
    expect(diff.body).not.toContain(t.dataDir);
    expect(diff.json().error.details).toBeUndefined();
  });
});

describe('rate limits', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await createTestApp({ server: ServerConfig.parse({ rateLimitPerMinute: 3 }) });
  });
  afterAll(() => limited.close());

  it('answers 429 RATE_LIMITED after the limit, per key', async () => {
    const get = (key: string) =>
      limited.app.inject({ method: 'GET', url: '/api/projects', headers: bearer(key) });
    for (let index = 0; index < 3; index++) {
      expect((await get(limited.adminKey)).statusCode).toBe(200);
    }
    const refused = await get(limited.adminKey);
    expect(refused.statusCode).toBe(429);
    const encoded = await limited.app.inject({
      method: 'GET',
      url: '/%61pi/projects',
      headers: bearer(limited.adminKey),
    });
    expect(encoded.statusCode).toBe(429);
    const { error } = refused.json();
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toContain('3 requests a minute');
    expect(error.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.details.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.headers['retry-after']).toBeDefined();

    const other = await createOrganization(limited.database, 'Neighbour');
    expect((await get(other.key)).statusCode).toBe(200);
    // Health checks are never limited.
    const health = await limited.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });
});

describe('when the database is gone', () => {
  let broken: TestApp;
  beforeAll(async () => {
    broken = await createTestApp();
    await broken.database.pool.end();
  });
  afterAll(() => broken.app.close());

  it('/readyz answers 503 DATABASE_UNAVAILABLE while /healthz stays up', async () => {
    const ready = await broken.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().error.code).toBe('DATABASE_UNAVAILABLE');
    const health = await broken.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });

  it('an /api route answers 500 INTERNAL with the request id and no stack trace', async () => {
    const response = await broken.app.inject({
      method: 'GET',
      url: '/api/projects',
      headers: { ...bearer(broken.adminKey), 'x-request-id': 'broken-1' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('broken-1');
    expect(response.json()).toEqual({
      error: {
        code: 'INTERNAL',
        message: 'Something went wrong on our side; the request id finds it in the server log.',
        requestId: 'broken-1',
      },
    });
    expect(response.body).not.toMatch(/\bat \S+:\d+/);
    expect(response.body).not.toContain('pool');
  });
});
