// Events appended inside a transaction wait here and are published once it has committed:
// the one after-commit path. An outbox whose transaction rolled back is never published.
import type { Bus } from '../bus/index.js';
import type { Db } from '../db/index.js';
import { publishEvents, type PublishedEvent } from './events.js';
import type { EventSink } from './transitions.js';
import type { AfterCommit } from './work-queue.js';

export interface Outbox {
  /** Where the transaction's emits go; nothing leaves before `publish`. */
  sink: EventSink;
  /** Publishes what the sink collected; call it only once the transaction has committed. */
  publish: AfterCommit;
}

/** An empty outbox for one transaction. */
export function createOutbox(bus: Bus): Outbox {
  const events: PublishedEvent[] = [];
  return {
    sink: (event) => void events.push(event),
    publish: () => publishEvents(bus, events.splice(0)),
  };
}

/** Runs `work` in a transaction of its own and publishes its events once it has committed. */
export async function recordEvents(
  db: Db,
  bus: Bus,
  work: (tx: Db, sink: EventSink) => Promise<void>,
): Promise<void> {
  const outbox = createOutbox(bus);
  await db.transaction((tx) => work(tx, outbox.sink));
  await outbox.publish();
}
