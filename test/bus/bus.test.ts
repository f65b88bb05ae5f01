// One contract, two buses: the in-process one and RabbitMQ (a real server on loopback).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createInProcessBus,
  createPostgresBus,
  createRabbitMqBus,
  topicMatches,
  type Bus,
  type BusMessage,
} from '../../src/bus/index.js';
import type { Database } from '../../src/db/index.js';
import { CadreError } from '../../src/errors/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { startRabbitMq, type RabbitMq } from '../helpers/rabbitmq.js';
import { waitFor } from '../helpers/wait.js';

describe('topic patterns', () => {
  it('match as AMQP topics do', () => {
    expect(topicMatches('task.*.events', 'task.42.events')).toBe(true);
    expect(topicMatches('task.*.events', 'task.42.steps.events')).toBe(false);
    expect(topicMatches('task.#', 'task')).toBe(true);
    expect(topicMatches('task.#', 'task.42.steps')).toBe(true);
    expect(topicMatches('#.events', 'org.1.task.2.events')).toBe(true);
    expect(topicMatches('org.1.#', 'org.2.task')).toBe(false);
  });
});

let rabbit: RabbitMq;
beforeAll(async () => {
  rabbit = await startRabbitMq();
}, 90_000);
afterAll(() => rabbit?.stop());

// "Nodes" of the in-process bus share one instance, as the parts of one process do.
let shared: Bus;
beforeEach(() => {
  shared = createInProcessBus();
});
const kinds: Array<[string, () => Promise<Bus>]> = [
  ['in-process', async () => shared],
  ['rabbitmq', () => createRabbitMqBus(rabbit.url)],
];

describe.each(kinds)('%s bus', (_name, create) => {
  it('delivers events to every subscriber whose pattern matches, in order', async () => {
    const [publisher, nodeA, nodeB] = [await create(), await create(), await create()];
    try {
      const seenA: BusMessage[] = [];
      const seenB: BusMessage[] = [];
      await nodeA.subscribe('task.t1.*', (message) => void seenA.push(message));
      await nodeB.subscribe('task.#', (message) => void seenB.push(message));
      for (let seq = 1; seq <= 5; seq++) await publisher.publish('task.t1.event', { seq });
      await publisher.publish('task.t2.event', { seq: 99 });
      await publisher.publish('project.p1.event', { seq: -1 });
      await waitFor('both nodes to receive', () => seenA.length === 5 && seenB.length === 6);
      expect(seenA.map((message) => (message.payload as { seq: number }).seq)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect(seenB.map((message) => message.topic)).toEqual([
        ...Array(5).fill('task.t1.event'),
        'task.t2.event',
      ]);
    } finally {
      await Promise.all([publisher, nodeA, nodeB].map((bus) => bus.close()));
    }
  });

  it('stops delivering after unsubscribe', async () => {
    const bus = await create();
    try {
      const seen: unknown[] = [];
      const subscription = await bus.subscribe('a.b', (message) => void seen.push(message.payload));
      await bus.publish('a.b', 1);
      await waitFor('the first event', () => seen.length === 1);
      await subscription.unsubscribe();
      await bus.publish('a.b', 2);
      // A marker published after the unsubscribed event proves the event had its chance to arrive.
      const marker: unknown[] = [];
      await bus.subscribe('a.marker', (message) => void marker.push(message.payload));
      await bus.publish('a.marker', 'done');
      await waitFor('the marker', () => marker.length === 1);
      expect(seen).toEqual([1]);
    } finally {
      await bus.close();
    }
  });

  it('sends each request to one responder and returns its answer', async () => {
    const [client, workerA, workerB] = [await create(), await create(), await create()];
    try {
      const answeredBy: string[] = [];
      await workerA.respond('role.reviewer.ask', async (payload) => {
        answeredBy.push('A');
        return { answer: `A: ${(payload as { question: string }).question}` };
      });
      await workerB.respond('role.reviewer.ask', async (payload) => {
        answeredBy.push('B');
        return { answer: `B: ${(payload as { question: string }).question}` };
      });
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          client.request('role.reviewer.ask', { question: `q${index}` }, { timeoutMs: 5000 }),
        ),
      );
      expect(answeredBy).toHaveLength(6);
      answers.forEach((answer, index) =>
        expect((answer as { answer: string }).answer).toMatch(new RegExp(`^[AB]: q${index}$`)),
      );
    } finally {
      await Promise.all([client, workerA, workerB].map((bus) => bus.close()));
    }
  });

  it('reports a failing responder, a missing responder and a timeout by their codes', async () => {
    const [client, worker] = [await create(), await create()];
    try {
      await worker.respond('fails', async () => {
        throw new Error('the reviewer crashed');
      });
      await worker.respond('hangs', () => new Promise(() => undefined));
      await expect(client.request('fails', {}, { timeoutMs: 5000 })).rejects.toMatchObject({
        code: 'BUS_REQUEST_FAILED',
      });
      await expect(client.request('nobody-listens', {}, { timeoutMs: 5000 })).rejects.toMatchObject(
        { code: 'BUS_NO_RESPONDER' },
      );
      const timedOut = client.request('hangs', {}, { timeoutMs: 200 });
      await expect(timedOut).rejects.toBeInstanceOf(CadreError);
      await expect(timedOut).rejects.toMatchObject({ code: 'BUS_TIMEOUT' });
    } finally {
      await Promise.all([client, worker].map((bus) => bus.close()));
    }
  });

  it('broadcasts to the listeners of every process', async () => {
    const nodes = [await create(), await create(), await create()];
    try {
      const seen: string[] = [];
      for (const [index, node] of nodes.entries()) {
        await node.listen(
          'cancel',
          (payload) => void seen.push(`${index}:${(payload as { taskId: string }).taskId}`),
        );
        await node.listen('other', () => void seen.push('wrong channel'));
      }
      await nodes[0]!.broadcast('cancel', { taskId: 't9' });
      await waitFor('all three listeners', () => seen.length >= 3);
      expect(seen.sort()).toEqual(['0:t9', '1:t9', '2:t9']);
    } finally {
      await Promise.all(nodes.map((bus) => bus.close()));
    }
  });
});

describe('rabbitmq bus', () => {
  it('says which URL it cannot reach', async () => {
    const failure = createRabbitMqBus('amqp://guest:secret@127.0.0.1:1');
    await expect(failure).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    await expect(failure).rejects.toThrow(/guest:\[redacted\]@127\.0\.0\.1:1/);
  });
});

describe('postgres bus', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('carries events and broadcasts between processes that share the database', async () => {
    // Each bus has connections of its own, as separate processes would.
    const [publisher, nodeA, nodeB] = [
      await createPostgresBus(database),
      await createPostgresBus(database),
      await createPostgresBus(database),
    ];
    try {
      const events: string[] = [];
      const cancels: string[] = [];
      await nodeA.subscribe(
        'org.o1.task.*',
        (message) => void events.push(`A:${(message.payload as { seq: number }).seq}`),
      );
      await nodeB.subscribe(
        'org.o1.#',
        (message) => void events.push(`B:${(message.payload as { seq: number }).seq}`),
      );
      await nodeA.listen(
        'task-cancelled',
        (payload) => void cancels.push(`A:${(payload as { taskId: string }).taskId}`),
      );
      await nodeB.listen(
        'task-cancelled',
        (payload) => void cancels.push(`B:${(payload as { taskId: string }).taskId}`),
      );
      for (let seq = 1; seq <= 3; seq++) await publisher.publish('org.o1.task.t1', { seq });
      await publisher.publish('org.o2.task.t9', { seq: 99 });
      await publisher.broadcast('task-cancelled', { taskId: 't1' });
      await waitFor('every event and broadcast', () => events.length === 6 && cancels.length === 2);
      expect(events.filter((event) => event.startsWith('A'))).toEqual(['A:1', 'A:2', 'A:3']);
      expect(events.filter((event) => event.startsWith('B'))).toEqual(['B:1', 'B:2', 'B:3']);
      expect(cancels.sort()).toEqual(['A:t1', 'B:t1']);
    } finally {
      await Promise.all([publisher, nodeA, nodeB].map((bus) => bus.close()));
    }
  });

  it('sends an event too large for a notification without its data', async () => {
    const [publisher, reader] = await Promise.all([
      createPostgresBus(database),
      createPostgresBus(database),
    ]);
    try {
      const seen: unknown[] = [];
      await reader.subscribe('big', (message) => void seen.push(message.payload));
      await publisher.publish('big', {
        seq: 7,
        type: 'gate-failed',
        data: { feedback: 'x'.repeat(20_000) },
      });
      await waitFor('the event', () => seen.length === 1);
      expect(seen).toEqual([{ seq: 7, type: 'gate-failed', data: { isTruncated: true } }]);
    } finally {
      await Promise.all([publisher.close(), reader.close()]);
    }
  });
});
