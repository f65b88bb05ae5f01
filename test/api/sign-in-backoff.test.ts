// Per-account backoff: five wrong passwords lock the account for a wait that grows, answered
// with SIGN_IN_LOCKED and Retry-After on every API node, audited, and ended by the wait alone.
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { hashPassword } from '../../src/auth/index.js';
import { tables } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

// One clock for both nodes, moved on by the test: no waiting on the wall clock.
let clock = new Date('2026-03-01T09:00:00Z');
const now = () => clock;
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

let t: TestApp;
let second: FastifyInstance;
const password = 'the right long password';

beforeAll(async () => {
  t = await createTestApp({}, { now });
  second = await buildApp({
    config: t.config,
    database: t.database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    now,
  });
  await second.ready();
  await t.database.db
    .update(tables.users)
    .set({ passwordHash: await hashPassword(password) })
    .where(eq(tables.users.email, 'admin@localhost'));
});
afterAll(async () => {
  await second.close();
  await t.close();
});

// Each attempt comes from its own address, so that only the per-account backoff is tested
// here (the per-address throttle has test/api/credential-throttle.test.ts).
let addresses = 0;
const signIn = (node: FastifyInstance, email: string, secret: string) =>
  node.inject({
    method: 'POST',
    url: '/api/auth/sign-in',
    remoteAddress: `10.0.${Math.floor(++addresses / 250)}.${addresses % 250}`,
    payload: { email, password: secret },
  });

const lockouts = () =>
  t.database.db.select().from(tables.auditLog).where(eq(tables.auditLog.action, 'sign-in-locked'));

describe('sign-in backoff', () => {
  it('locks the account after five wrong passwords, on every node, until the wait passes', async () => {
    // Failures on either node count for the same account.
    for (const node of [t.app, second, t.app, second, t.app]) {
      const wrong = await signIn(node, 'admin@localhost', 'a wrong password');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('UNAUTHENTICATED');
    }
    for (const node of [t.app, second]) {
      const sixth = await signIn(node, 'admin@localhost', 'a wrong password');
      expect(sixth.statusCode).toBe(429);
      expect(sixth.headers['retry-after']).toBe('30');
      expect(sixth.json().error).toMatchObject({
        code: 'SIGN_IN_LOCKED',
        details: { retryAfterSeconds: 30 },
      });
      // The right password is refused too while the lock holds.
      const right = await signIn(node, 'Admin@Localhost', password);
      expect(right.statusCode).toBe(429);
      expect(right.json().error.code).toBe('SIGN_IN_LOCKED');
    }
    expect(await lockouts()).toMatchObject([
      { actorType: 'anonymous', targetType: 'user', data: { failures: 5, retryAfterSeconds: 30 } },
    ]);

    advance(20_000);
    const later = await signIn(second, 'admin@localhost', password);
    expect(later.statusCode).toBe(429);
    expect(later.headers['retry-after']).toBe('10');

    advance(10_001);
    expect((await signIn(t.app, 'admin@localhost', password)).statusCode).toBe(200);
  });

  it('doubles the wait with each further failure, and a success starts the count again', async () => {
    for (let failure = 1; failure <= 5; failure += 1) {
      expect((await signIn(t.app, 'admin@localhost', 'wrong')).statusCode).toBe(401);
    }
    advance(30_001);
    expect((await signIn(t.app, 'admin@localhost', 'wrong')).statusCode).toBe(401); // sixth
    const locked = await signIn(second, 'admin@localhost', password);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    advance(60_001);
    expect((await signIn(t.app, 'admin@localhost', 'wrong')).statusCode).toBe(401); // seventh
    expect((await signIn(t.app, 'admin@localhost', password)).headers['retry-after']).toBe('120');
    // The first test's lockout, then this one's: 30 s, 60 s, 120 s.
    expect((await lockouts()).map((row) => (row.data as { failures: number }).failures)).toEqual([
      5, 5, 6, 7,
    ]);

    advance(120_001);
    expect((await signIn(t.app, 'admin@localhost', password)).statusCode).toBe(200);
    for (let failure = 1; failure <= 4; failure += 1) {
      expect((await signIn(t.app, 'admin@localhost', 'wrong')).statusCode).toBe(401);
    }
    expect((await signIn(t.app, 'admin@localhost', password)).statusCode).toBe(200);
  });

  it('answers an unknown email exactly as a known one, locked or not', async () => {
    const answers = async (email: string) => {
      const seen: string[] = [];
      for (let attempt = 1; attempt <= 6; attempt += 1) {
        const response = await signIn(t.app, email, 'wrong');
        seen.push(
          `${response.statusCode} ${response.headers['retry-after'] ?? ''} ${response.body}`,
        );
      }
      return seen;
    };
    expect(await answers('nobody@example.com')).toEqual(await answers('admin@localhost'));
    advance(30_001);
  });
});
