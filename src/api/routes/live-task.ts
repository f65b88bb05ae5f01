// A task's events for the live WebSocket: replayed from the log after the last sequence number
// a client saw, then live from the bus, in order and each once (D7). It never sends an event of
// a task it has not checked belongs to the caller's organization.
import type { Principal } from '../../auth/index.js';
import type { Bus, Subscription } from '../../bus/index.js';
import type { Db } from '../../db/index.js';
import { getTask, listEvents, taskTopic } from '../../orchestrator/index.js';

/** A task's event as the bus carries it. */
export interface LiveEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** Sends one message to the client; an EventText is sent as it is. */
export type Send = (message: Record<string, unknown> | EventText) => void;

/** An event's message as JSON without its opening brace, made once for all its clients. */
export class EventText {
  constructor(readonly body: string) {}
}
const eventTexts = new WeakMap<LiveEvent, EventText>();

/**
 * Sends a task's events after `afterSeq` from the log, then live ones, in order and each
 * once. A live event that does not follow the last one sent (it overtook the replay, or its
 * data was cut for the transport) is read from the log instead.
 */
export async function followTask(
  options: { db: Db; bus: Bus },
  principal: Principal,
  taskId: string,
  afterSeq: number,
  send: Send,
): Promise<Subscription> {
  await getTask(options.db, principal.orgId, taskId); // NOT_FOUND for another organization's task
  let lastSeq = afterSeq;
  const deliver = (event: LiveEvent) => {
    send(eventMessage(taskId, event));
    lastSeq = event.seq;
  };
  let chain = Promise.resolve();
  const catchUp = async () => {
    for (;;) {
      const rows = await listEvents(options.db, taskId, lastSeq, 500);
      for (const row of rows) {
        deliver({ seq: row.seq, type: row.type, data: row.data as Record<string, unknown> });
      }
      if (rows.length < 500) return;
    }
  };
  const onLive = (event: LiveEvent) => {
    chain = chain.then(async () => {
      if (event.seq <= lastSeq) return;
      if (event.seq === lastSeq + 1 && !event.data.isTruncated) deliver(event);
      else await catchUp();
    });
  };
  const subscription = await options.bus.subscribe(
    taskTopic(principal.orgId, taskId),
    ({ payload }) => onLive(payload as LiveEvent),
  );
  chain = chain.then(catchUp);
  await chain;
  return subscription;
}

/**
 * An event as the client receives it: `type` is the message's, `eventType` the event's. The
 * bus hands one event object to every subscriber, so it is serialized once, not per client.
 */
export function eventMessage(taskId: string, event: LiveEvent): EventText {
  let text = eventTexts.get(event);
  if (!text) {
    const { seq, type, data } = event;
    const message = { type: 'event', taskId, seq, eventType: type, data };
    text = new EventText(JSON.stringify(message).slice(1));
    eventTexts.set(event, text);
  }
  return text;
}
