// Lists every route the app registers and checks that each /api route refuses a caller
// without valid credentials. The list is computed, so a new route without auth fails here.
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { generateApiKey } from '../../src/auth/index.js';
import { Config } from '../../src/config/index.js';
import type { Database } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import { createTestDatabase } from '../helpers/database.js';

/**
 * The only /api routes that need no credentials. A git host's webhook carries its signature
 * instead, checked in test/hosts/webhooks.test.ts.
 */
const publicRoutes = new Set(['POST /api/auth/sign-in', 'POST /api/hooks/:projectId/:kind']);

interface Route {
  method: string;
  url: string;
}

let app: FastifyInstance;
let database: Database;
const routes: Route[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildApp({
    config: Config.parse({
      dataDir: await mkdtemp(join(tmpdir(), 'cadre-routes-')),
      // The sweep sends hundreds of bad tokens from one address: the per-address throttle
      // (test/api/credential-throttle.test.ts) would answer 429 instead of the 401 checked here.
      server: { invalidCredentialsPerMinute: 0 },
    }),
    database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    onRoute: (route) => {
      const methods = ([] as HTTPMethods[]).concat(route.method);
      for (const method of methods) routes.push({ method, url: route.url });
    },
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

/** A concrete URL for a route pattern: a fresh UUID for every parameter. */
const concrete = (url: string) => url.replace(/:\w+/g, () => randomUUID()).replace('*', 'x');

const apiRoutes = () =>
  routes
    .filter((route) => route.url.startsWith('/api/'))
    .filter((route) => !publicRoutes.has(`${route.method} ${route.url}`));

describe('every /api route requires credentials', () => {
  it('finds the routes of every resource', () => {
    const names = routes.map((route) => `${route.method} ${route.url}`);
    for (const expected of [
      'GET /api/projects',
      'POST /api/projects',
      'PATCH /api/projects/:id',
      'POST /api/tasks',
      'POST /api/tasks/:id/cancel',
      'POST /api/keys',
      'PUT /api/auth/password',
      ...publicRoutes,
    ]) {
      expect(names).toContain(expected);
    }
    expect(apiRoutes().length).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['no Authorization header', {}, /Authorization: Bearer/],
    // Routes with their own transport (WebSocket) word a wrong token their own way.
    ['a wrong key', { authorization: `Bearer ${generateApiKey().token}` }, /./],
    ['a wrong session', { authorization: 'Bearer cadre_session_nope' }, /./],
    ['another scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }, /Authorization: Bearer/],
  ])('answers 401 UNAUTHENTICATED with %s', async (_name, headers, message) => {
    const failures: string[] = [];
    // Each route as written, and with "/api" percent-encoded, which the router decodes.
    const requests = apiRoutes().flatMap((route) => [
      { ...route, path: concrete(route.url) },
      { ...route, path: concrete(route.url).replace('/api/', '/%61pi/') },
    ]);
    for (const route of requests) {
      const response = await app.inject({
        method: route.method as HTTPMethods,
        url: route.path,
        headers,
        payload: ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined,
      });
      const name = `${route.method} ${route.path}`;
      if (response.statusCode !== 401) {
        failures.push(`${name} answered ${response.statusCode}`);
        continue;
      }
      if (route.method === 'HEAD') continue; // no body to check
      const error = response.json().error;
      if (error?.code !== 'UNAUTHENTICATED' || !message.test(error.message)) {
        failures.push(`${name} answered ${response.body}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets the public sign-in route through without credentials', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { email: 'nobody@example.com', password: 'wrong password' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Wrong email or password.',
    });
  });
});
