// Invalid credentials count per client address: past the limit, an unknown or malformed token
// (or a password sign-in) from that address is refused with 429 before any database query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/index.js';
import { ServerConfig } from '../../src/config/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';

let clock = new Date('2026-03-01T09:00:00Z');
let t: TestApp;
let queries = 0;

beforeAll(async () => {
  t = await createTestApp(
    { server: ServerConfig.parse({ invalidCredentialsPerMinute: 5 }) },
    { now: () => clock },
  );
  // Every statement Drizzle sends goes through the pool: count them.
  const { pool } = t.database;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  Object.assign(pool, {
    query: (...args: unknown[]) => {
      queries += 1;
      return query(...args);
    },
    connect: (...args: unknown[]) => {
      queries += 1;
      return connect(...args);
    },
  });
});
afterAll(() => t.close());

const get = (address: string, token: string, url = '/api/projects') =>
  t.app.inject({ method: 'GET', url, remoteAddress: address, headers: bearer(token) });

describe('invalid credentials per client address', () => {
  it('throttles unknown and malformed tokens from memory, without touching the database', async () => {
    const attacker = '203.0.113.7';
    expect((await get(attacker, t.adminKey)).statusCode).toBe(200); // now in memory
    for (let guess = 1; guess <= 5; guess += 1) {
      const response = await get(attacker, generateApiKey().token);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
    }

    const before = queries;
    const throttled = await get(attacker, generateApiKey().token);
    const malformed = await get(attacker, 'not-a-token');
    const session = await get(attacker, `cadre_session_${'x'.repeat(40)}`);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      remoteAddress: attacker,
      payload: { email: 'admin@localhost', password: 'a guess' },
    });
    expect(queries - before).toBe(0);
    for (const response of [throttled, malformed, session, signIn]) {
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBe('60');
      expect(response.json().error).toMatchObject({
        code: 'CREDENTIALS_THROTTLED',
        details: { retryAfterSeconds: 60 },
      });
    }

    // A key already known to this node still works from that address, and other addresses
    // are not affected.
    expect((await get(attacker, t.adminKey)).statusCode).toBe(200);
    expect((await get('198.51.100.20', generateApiKey().token)).statusCode).toBe(401);

    clock = new Date(clock.getTime() + 30_000);
    expect((await get(attacker, generateApiKey().token)).headers['retry-after']).toBe('30');
    clock = new Date(clock.getTime() + 30_001);
    expect((await get(attacker, generateApiKey().token)).statusCode).toBe(401);
  });

  it('refuses a malformed token without a lookup even before the limit', async () => {
    const before = queries;
    const response = await get('198.51.100.30', 'Zm9vOmJhcg==');
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
    expect(queries - before).toBe(0);
    // The counter does see a lookup: a well-formed unknown key costs one.
    await get('198.51.100.31', generateApiKey().token);
    expect(queries - before).toBeGreaterThan(0);
  });

  it('counts an IPv6 client by its /64, so that rotating addresses does not help', async () => {
    for (let guess = 1; guess <= 5; guess += 1) {
      const address = `2001:db8:0:1::${guess.toString(16)}`;
      expect((await get(address, generateApiKey().token)).statusCode).toBe(401);
    }
    const next = await get('2001:db8:0:1::ffff', generateApiKey().token);
    expect(next.statusCode).toBe(429);
    expect((await get('2001:db8:0:2::1', generateApiKey().token)).statusCode).toBe(401);
  });

  it('counts wrong passwords too', async () => {
    const guesser = '198.51.100.40';
    const signIn = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in',
        remoteAddress: guesser,
        payload: { email, password: 'a guess' },
      });
    // Different emails each time: the per-account backoff never starts, the address limit does.
    for (let guess = 1; guess <= 5; guess += 1) {
      expect((await signIn(`person${guess}@example.com`)).statusCode).toBe(401);
    }
    const next = await signIn('person6@example.com');
    expect(next.statusCode).toBe(429);
    expect(next.json().error.code).toBe('CREDENTIALS_THROTTLED');
  });
});
