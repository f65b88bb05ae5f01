// RabbitMQ stopped and started again under a running bus: events published before, during and
// after the outage all arrive, requests work again, and /readyz says 503 while it is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqBus, type Bus } from '../../src/bus/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startRabbitMq, type RabbitMq } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';

let rabbit: RabbitMq;
let publisher: Bus;
let subscriber: Bus;
let t: TestApp;
const fastBackoff = { initialMs: 50, maxMs: 500 };

beforeAll(async () => {
  rabbit = await startRabbitMq();
  // Long enough to wait out the broker's restart, which takes seconds on a busy machine.
  publisher = await createRabbitMqBus(rabbit.url, {
    backoff: fastBackoff,
    publishTimeoutMs: 90_000,
  });
  subscriber = await createRabbitMqBus(rabbit.url, { backoff: fastBackoff });
  t = await createTestApp({}, { bus: publisher });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await publisher?.close();
  await subscriber?.close();
  await rabbit?.stop();
});

const readyz = async () => {
  const response = await t.app.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, body: response.json() };
};

describe('a RabbitMQ restart', () => {
  it('loses no event, answers requests again, and /readyz is 503 only while it is down', async () => {
    const seen = new Set<number>();
    let isHolding = true;
    let heldOnce = false;
    await subscriber.subscribe('chaos.*', async ({ payload }) => {
      const { seq } = payload as { seq: number };
      // The first delivery of event 3 is still being handled when the broker goes away: it
      // was never acknowledged, so the broker must deliver it again after the restart.
      if (seq === 3 && isHolding && !heldOnce) {
        heldOnce = true;
        await waitFor('the broker to stop', () => !isHolding, 60_000);
        return;
      }
      seen.add(seq);
    });
    await subscriber.respond('chaos.echo', async (payload) => payload);

    for (let seq = 1; seq <= 5; seq++) await publisher.publish('chaos.event', { seq });
    await waitFor('events 1, 2, 4 and 5', () => [1, 2, 4, 5].every((seq) => seen.has(seq)));
    expect(heldOnce).toBe(true);
    expect(seen.has(3)).toBe(false);
    expect((await readyz()).status).toBe(200);

    await rabbit.stopServer();
    isHolding = false;
    await waitFor(
      'both buses to notice',
      () => !publisher.health().isConnected && !subscriber.health().isConnected,
      30_000,
    );
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('BUS_UNAVAILABLE');
    expect(down.body.error.details.dependencies.bus).toMatchObject({
      status: 'down',
      kind: 'rabbitmq',
    });
    expect(down.body.error.details.dependencies.database).toMatchObject({ status: 'up' });

    // Published while the broker is down: it waits for the broker instead of failing.
    const during = publisher.publish('chaos.event', { seq: 6 });
    await rabbit.startServer();
    await during;
    for (let seq = 7; seq <= 10; seq++) await publisher.publish('chaos.event', { seq });

    await waitFor('every event, the unacknowledged one included', () => seen.size === 10, 60_000);
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await waitFor('/readyz to be 200 again', async () => (await readyz()).status === 200, 30_000);
    expect((await readyz()).body.dependencies.bus).toEqual({ status: 'up', kind: 'rabbitmq' });
    expect(await publisher.request('chaos.echo', { ping: 1 }, { timeoutMs: 10_000 })).toEqual({
      ping: 1,
    });
  }, 240_000);

  it('fails a publish with BUS_UNAVAILABLE once its wait for the broker runs out', async () => {
    const impatient = await createRabbitMqBus(rabbit.url, {
      backoff: fastBackoff,
      publishTimeoutMs: 300,
    });
    try {
      await rabbit.stopServer();
      await waitFor('the bus to notice', () => !impatient.health().isConnected, 30_000);
      const failure = await impatient
        .publish('chaos.event', { seq: 0 })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CadreError);
      expect((failure as CadreError).code).toBe('BUS_UNAVAILABLE');
      expect((failure as CadreError).message).toContain('gave up after waiting 300 ms');
    } finally {
      await rabbit.startServer();
      await impatient.close();
    }
  }, 180_000);
});
