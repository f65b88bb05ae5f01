// Appends to a task's event log. Sequence numbers come from the task row, taken under its
// row lock, so that each task's events are numbered 1, 2, 3… with no gap and no repeat.
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Bus } from '../bus/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export interface NewEvent {
  orgId: string;
  taskId: string;
  type: string;
  data?: Record<string, unknown>;
}

/** Appends an event inside the caller's transaction; returns its sequence number. */
export async function appendEvent(tx: Db, event: NewEvent): Promise<number> {
  const [task] = await tx
    .update(tables.tasks)
    .set({ eventSeq: sql`${tables.tasks.eventSeq} + 1` })
    .where(eq(tables.tasks.id, event.taskId))
    .returning({ seq: tables.tasks.eventSeq });
  if (!task) throw new Error(`appendEvent: task ${event.taskId} does not exist`);
  await tx.insert(tables.events).values({
    orgId: event.orgId,
    taskId: event.taskId,
    seq: task.seq,
    type: event.type,
    data: event.data ?? {},
  });
  return task.seq;
}

export type EventRow = typeof tables.events.$inferSelect;

/** A task's events after sequence number `after`, in order. */
export function listEvents(
  db: Db,
  taskId: string,
  after: number,
  limit: number,
): Promise<EventRow[]> {
  return db
    .select()
    .from(tables.events)
    .where(and(eq(tables.events.taskId, taskId), gt(tables.events.seq, after)))
    .orderBy(asc(tables.events.seq))
    .limit(limit);
}

/** The organization's latest events, newest first, with their tasks' titles. */
export function recentEvents(db: Db, orgId: string, limit: number) {
  // Only the most recently changed tasks can hold the latest events: the primary key serves it.
  const recentTasks = db
    .select({ id: tables.tasks.id })
    .from(tables.tasks)
    .where(eq(tables.tasks.orgId, orgId))
    .orderBy(desc(tables.tasks.updatedAt))
    .limit(limit);
  return db
    .select({
      taskId: tables.events.taskId,
      taskTitle: tables.tasks.title,
      seq: tables.events.seq,
      type: tables.events.type,
      data: tables.events.data,
      createdAt: tables.events.createdAt,
    })
    .from(tables.events)
    .innerJoin(tables.tasks, eq(tables.tasks.id, tables.events.taskId))
    .where(inArray(tables.events.taskId, recentTasks))
    .orderBy(desc(tables.events.createdAt), desc(tables.events.seq))
    .limit(limit);
}

/** An appended event with its sequence number, as published on the bus. */
export type PublishedEvent = NewEvent & { seq: number };

/** The topic a task's events are published on. */
export const taskTopic = (orgId: string, taskId: string) => `org.${orgId}.task.${taskId}`;

/** Publishes committed events, in order; call it only after their transaction committed. */
export async function publishEvents(bus: Bus, events: readonly PublishedEvent[]): Promise<void> {
  for (const event of events) {
    await bus.publish(taskTopic(event.orgId, event.taskId), {
      seq: event.seq,
      type: event.type,
      data: event.data ?? {},
    });
  }
}

/** The channel on which cancellations are broadcast to every process's workers. */
export const cancelChannel = 'task-cancelled';
