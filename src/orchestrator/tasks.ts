// Tasks: a piece of work in plain language, and the state it is in. A new task is `queued`;
// workers pick tasks up once the orchestrator runs them. Every change appends an event.
import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { appendEvent } from './events.js';
import { getProject } from './projects.js';

const { tasks } = tables;
export type TaskRow = typeof tasks.$inferSelect;

export const taskStatuses = [
  'queued',
  'planning',
  'running',
  'waiting',
  'done',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const finishedStatuses: readonly TaskStatus[] = ['done', 'failed', 'cancelled'];

export interface TaskInput {
  projectId: string;
  description: string;
  title?: string;
  priority?: number;
  budgetUsd?: number;
}

/** Creates a queued task in one of the organization's projects. */
export async function createTask(
  db: Db,
  orgId: string,
  createdBy: string | null,
  input: TaskInput,
): Promise<TaskRow> {
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
    await appendEvent(tx, {
      orgId,
      taskId: row!.id,
      type: 'task-created',
      data: { status: 'queued' },
    });
    return { ...row!, eventSeq: 1 };
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

/** Cancels a task that has not finished; a finished one is INVALID_STATE. */
export async function cancelTask(
  db: Db,
  orgId: string,
  id: string,
  now = new Date(),
): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ status: tasks.status })
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
    await appendEvent(tx, {
      orgId,
      taskId: id,
      type: 'task-cancelled',
      data: { from: current.status },
    });
    const [row] = await tx
      .update(tasks)
      .set({ status: 'cancelled', updatedAt: now, finishedAt: now })
      .where(eq(tasks.id, id))
      .returning();
    return row!;
  });
}
