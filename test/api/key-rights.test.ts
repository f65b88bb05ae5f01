// An API key acts at most with its creator's current role: a demotion or a removal written by
// any API node takes effect at once on every node, and closes the live sockets it affects.
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { createApiKey, type Role } from '../../src/auth/index.js';
import { createInProcessBus } from '../../src/bus/index.js';
import { tables } from '../../src/db/index.js';
import { createLogger, createMetrics } from '../../src/observability/index.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

const bus = createInProcessBus();
let t: TestApp;
let second: FastifyInstance;
let port: number;
let orgId: string;

beforeAll(async () => {
  t = await createTestApp({}, { bus });
  // A second API node on the same database, with its own credential cache.
  second = await buildApp({
    config: t.config,
    database: t.database,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    version: '0.0.0-test',
    bus,
  });
  await second.ready();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
  const [org] = await t.database.db.select().from(tables.organizations).limit(1);
  orgId = org!.id;
});
afterAll(async () => {
  await second.close();
  await t.close();
  await bus.close();
});

let people = 0;
/** A person of the first organization with `memberRole`, and a key they made with `keyRole`. */
async function personWithKey(memberRole: Role, keyRole: Role) {
  people += 1;
  const [user] = await t.database.db
    .insert(tables.users)
    .values({ email: `person${people}@example.com`, name: `Person ${people}` })
    .returning();
  await t.database.db
    .insert(tables.memberships)
    .values({ orgId, userId: user!.id, role: memberRole });
  const key = await createApiKey(
    t.database.db,
    { orgId, userId: user!.id, role: memberRole, credentialId: user!.id, kind: 'session' },
    { name: `key of person ${people}`, role: keyRole },
  );
  return { userId: user!.id, keyId: key.id, key: key.key };
}

const nodes = () => [t.app, second];
const status = async (node: FastifyInstance, url: string, key: string) =>
  (await node.inject({ method: 'GET', url, headers: bearer(key) })).statusCode;
const roleOn = async (node: FastifyInstance, key: string) =>
  (await node.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(key) })).json().role;

/** Changes a membership as any API node would: in the database, which tells every node. */
async function setMemberRole(userId: string, role: Role) {
  await t.database.db
    .update(tables.memberships)
    .set({ role })
    .where(and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, userId)));
}

describe("an API key's rights", () => {
  it("are the lesser of the key's role and its creator's current role", async () => {
    const person = await personWithKey('admin', 'viewer');
    expect(await roleOn(t.app, person.key)).toBe('viewer');
    await setMemberRole(person.userId, 'owner');
    await waitFor(
      'the promotion to be seen',
      async () => (await roleOn(t.app, person.key)) === 'viewer',
    );
    expect(await roleOn(second, person.key)).toBe('viewer');
    await setMemberRole(person.userId, 'member');
    // A viewer key of a member stays a viewer key: neither side can raise the other.
    expect(await roleOn(second, person.key)).toBe('viewer');
  });

  it('shrink at once on every node when the creator is demoted, wherever it is written', async () => {
    const person = await personWithKey('admin', 'admin');
    for (const node of nodes()) {
      expect(await status(node, '/api/keys', person.key)).toBe(200);
      expect(await status(node, '/api/keys', person.key)).toBe(200); // now from memory
    }

    const started = Date.now();
    await setMemberRole(person.userId, 'member');
    for (const node of nodes()) {
      await waitFor(
        'the demoted admin key to lose keys:manage',
        async () => (await status(node, '/api/keys', person.key)) === 403,
        5000,
      );
    }
    expect(Date.now() - started).toBeLessThan(2000);
    for (const node of nodes()) {
      expect(await roleOn(node, person.key)).toBe('member');
      expect(await status(node, '/api/projects', person.key)).toBe(200);
      const escalate = await node.inject({
        method: 'POST',
        url: '/api/keys',
        headers: bearer(person.key),
        payload: { name: 'escalate', role: 'admin' },
      });
      expect(escalate.statusCode).toBe(403);
      expect(escalate.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('end when the creator is removed from the organization, or deleted', async () => {
    const removed = await personWithKey('admin', 'admin');
    const deleted = await personWithKey('member', 'member');
    for (const node of nodes()) {
      expect(await status(node, '/api/projects', removed.key)).toBe(200);
      expect(await status(node, '/api/projects', deleted.key)).toBe(200);
    }

    await t.database.db
      .delete(tables.memberships)
      .where(
        and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, removed.userId)),
      );
    await t.database.db.delete(tables.users).where(eq(tables.users.id, deleted.userId));
    for (const node of nodes()) {
      for (const key of [removed.key, deleted.key]) {
        await waitFor(
          'the key to be refused',
          async () => (await status(node, '/api/projects', key)) === 401,
          5000,
        );
      }
    }
    // The deleted person's key is revoked, not turned into a key of no one.
    const [key] = await t.database.db
      .select({ userId: tables.apiKeys.userId, revokedAt: tables.apiKeys.revokedAt })
      .from(tables.apiKeys)
      .where(eq(tables.apiKeys.id, deleted.keyId));
    expect(key).toMatchObject({ userId: null, revokedAt: expect.any(Date) });
    // Coming back does not revive the revoked key; the removed one works again with the
    // role they come back with.
    await t.database.db
      .insert(tables.memberships)
      .values({ orgId, userId: removed.userId, role: 'viewer' });
    await waitFor(
      'the returning member to be seen',
      async () => (await roleOn(second, removed.key)) === 'viewer',
    );
  });
});

describe('live sockets of a person whose rights change', () => {
  function open(key: string) {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/live`, [
      'cadre.live.v1',
      `bearer.${key}`,
    ]);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.addEventListener('close', (event) =>
        resolve({ code: event.code, reason: event.reason }),
      ),
    );
    const subscribed = new Promise<void>((resolve) =>
      socket.addEventListener('message', (message) => {
        if ((JSON.parse(String(message.data)) as { type: string }).type === 'subscribed') resolve();
      }),
    );
    socket.addEventListener('open', () =>
      socket.send(JSON.stringify({ type: 'subscribe', id: 'org', scope: 'organization' })),
    );
    return { socket, closed, subscribed };
  }

  it('are closed when the person is demoted or removed, and left alone otherwise', async () => {
    const demoted = await personWithKey('admin', 'admin');
    const removed = await personWithKey('member', 'member');
    const bystander = await personWithKey('member', 'member');
    // Two sockets of one key: they share one lookup, and both must go.
    const [a, twin, b, c] = [
      open(demoted.key),
      open(demoted.key),
      open(removed.key),
      open(bystander.key),
    ];
    await Promise.all([a.subscribed, twin.subscribed, b.subscribed, c.subscribed]);

    await setMemberRole(demoted.userId, 'viewer');
    for (const client of [a, twin]) {
      expect(await client.closed).toMatchObject({
        code: 4003,
        reason: expect.stringContaining('viewer'),
      });
    }
    await t.database.db
      .delete(tables.memberships)
      .where(
        and(eq(tables.memberships.orgId, orgId), eq(tables.memberships.userId, removed.userId)),
      );
    expect(await b.closed).toMatchObject({ code: 4001 });

    expect(c.socket.readyState).toBe(WebSocket.OPEN);
    c.socket.close();
    await c.closed;
  });
});
