// Tasks: a piece of work in plain language, and the state it is in. A new task is `queued`;
// workers pick tasks up once the orchestrator runs them. Every change appends an event.
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { appendEvent } from './events.js';
import { finishedStatuses, type TaskStatus } from './task-status.js';
import { setTaskStatus, startTask, type EventSink } from './transitions.js';
import { getProject } from './projects.js';

const { tasks } = tables;
export type TaskRow = typeof tasks.$inferSelect;

export interface TaskInput {
  projectId: string;
  description: string;
  title?: string;
  priority?: number;
  budgetUsd?: number;
}

export interface CreateTaskOptions {
  orgId: string;
  createdBy?: string | null;
  input: TaskInput;
  /** Receives the events the creation appended, to publish once committed. */
  sink?: EventSink;
}

/** Creates a task in one of the organization's projects and queues its planner. */
export async function createTask(db: Db, options: CreateTaskOptions): Promise<TaskRow> {
  const { orgId, createdBy = null, input, sink = () => undefined } = options;
  return db.transaction(async (tx) => {
    await getProject(tx, orgId, input.projectId);
    const [row] = await tx
      .insert(tasks)
      .values({
        orgId,
        projectId: input.projectId,
        title: input.title ?? titleFrom(input.description),
        description: input.description,
        priority: input.priority ?? 0,
        budgetUsd: input.budgetUsd === undefined ? null : String(input.budgetUsd),
        createdBy,
      })
      .returning();
    const event = { orgId, taskId: row!.id, type: 'task-created', data: { status: 'queued' } };
    sink({ ...event, seq: await appendEvent(tx, event) });
    await startTask(tx, sink, row!);
    return row!;
  });
}

/** The first line of the description, shortened: a title when none is given. */
function titleFrom(description: string): string {
  const line = description.trim().split('\n')[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

export interface TaskFilter {
  projectId?: string;
  statuses?: TaskStatus[];
  limit: number;
  /** The id of the last task of the previous page. */
  after?: string;
}

/** A page of the organization's tasks, newest first. */
export async function listTasks(db: Db, orgId: string, filter: TaskFilter) {
  const conditions: SQL[] = [eq(tasks.orgId, orgId)];
  if (filter.projectId) conditions.push(eq(tasks.projectId, filter.projectId));
  if (filter.statuses?.length) conditions.push(inArray(tasks.status, filter.statuses));
  if (filter.after) {
    conditions.push(
      sql`(${tasks.createdAt}, ${tasks.id}) < (SELECT created_at, id FROM tasks WHERE id = ${filter.after} AND org_id = ${orgId})`,
    );
  }
  const rows = await db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(filter.limit + 1);
  const hasMore = rows.length > filter.limit;
  const items = hasMore ? rows.slice(0, filter.limit) : rows;
  return { items, nextAfter: hasMore ? items[items.length - 1]!.id : null };
}

/** One task of the organization, or NOT_FOUND. */
export async function getTask(db: Db, orgId: string, id: string): Promise<TaskRow> {
  const [row] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, id), eq(tasks.orgId, orgId)));
  if (!row) throw notFound('task', id);
  return row;
}

/** Cancels a task that has not finished, with its steps; a finished one is INVALID_STATE. */
export async function cancelTask(
  db: Db,
  orgId: string,
  id: string,
  sink: EventSink = () => undefined,
): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.id, id), eq(tasks.orgId, orgId)))
      .for('update');
    if (!current) throw notFound('task', id);
    if (finishedStatuses.includes(current.status as TaskStatus)) {
      throw new CadreError(
        'INVALID_STATE',
        `Task ${id} is already ${current.status}; only an unfinished task can be cancelled.`,
        {
          details: { status: current.status },
        },
      );
    }
    await setTaskStatus(tx, sink, current, 'cancelled');
    const [row] = await tx.select().from(tasks).where(eq(tasks.id, id));
    return row!;
  });
}
