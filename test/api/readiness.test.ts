// /readyz names each dependency with its state: 200 when all are up, 503 with the first one
// down otherwise. Redis counts only when it is configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus, createPostgresBus } from '../../src/bus/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis.js';

let redis: RedisServer;
const apps: TestApp[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await Promise.all(apps.map((t) => t.close()));
  await redis?.stop();
});

const readyz = async (t: TestApp) => {
  const response = await t.app.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, body: response.json() };
};

describe('/readyz', () => {
  it('lists the database and the bus, with the bus kind, when both are up', async () => {
    const t = await createTestApp({}, { bus: createInProcessBus() });
    apps.push(t);
    const ready = await readyz(t);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      dependencies: { database: { status: 'up' }, bus: { status: 'up', kind: 'in-process' } },
    });
    expect(ready.body.dependencies.redis).toBeUndefined();
  });

  it('checks Redis when it is configured, and answers 503 REDIS_UNAVAILABLE when it is not there', async () => {
    const up = await createTestApp({ redis: { url: redis.url } });
    const down = await createTestApp({ redis: { url: `redis://127.0.0.1:${await freePort()}` } });
    apps.push(up, down);
    expect((await readyz(up)).body.dependencies.redis).toMatchObject({ status: 'up' });
    const refused = await readyz(down);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('REDIS_UNAVAILABLE');
    expect(refused.body.error.message).toContain('redis (');
    expect(refused.body.error.details.dependencies).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'down' },
    });
  });

  it('answers 503 BUS_UNAVAILABLE when the Postgres bus has lost its LISTEN connections', async () => {
    const t = await createTestApp();
    const bus = await createPostgresBus(t.database);
    await bus.close(); // its LISTEN connections are gone, as in an outage
    const app = await createTestApp({}, { bus });
    apps.push(t, app);
    const answer = await readyz(app);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('BUS_UNAVAILABLE');
    expect(answer.body.error.details.dependencies.bus).toMatchObject({
      status: 'down',
      kind: 'postgres',
    });
  });
});
