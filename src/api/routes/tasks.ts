// /api/tasks: create, list (filters, cursor pages), get and cancel the organization's tasks; read a
// task's events, or the latest events of the whole organization (/api/events).
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/index.js';
import { recordAudit } from '../../auth/index.js';
import { validationError } from '../../errors/index.js';
import {
  cancelChannel,
  cancelTask,
  createTask,
  getTask,
  listDeliveries,
  listEvents,
  listTasks,
  recentEvents,
  taskProgress,
  publishEvents,
  type Delivery,
  type PublishedEvent,
  type TaskRow,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { createCloneUrls } from '../clone-urls.js';
import {
  EventsQuery,
  IdParams,
  type Progress,
  Task,
  TaskCreate,
  type TaskDelivery,
  TaskEvent,
  TaskListQuery,
  TaskPage,
  TaskStatus,
} from '../schemas.js';
import { z } from 'zod';

const RecentEventsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The API's view of a task row. */
export function toTask(row: TaskRow, progress: Progress, delivery: TaskDelivery | null): Task {
  return {
    id: row.id,
    projectId: row.projectId,
    title: row.title,
    description: row.description,
    status: TaskStatus.parse(row.status),
    priority: row.priority,
    budgetUsd: row.budgetUsd === null ? null : Number(row.budgetUsd),
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    progress,
    sprintId: row.sprintId,
    dependsOn: row.dependsOn,
    delivery,
  };
}

/** The API's views of one organization's task rows, their progress and deliveries looked up once. */
export async function toTasks(
  db: Db,
  request: FastifyRequest,
  options: { orgId: string; publicUrl: string | undefined },
  rows: readonly TaskRow[],
): Promise<Task[]> {
  const ids = rows.map((row) => row.id);
  const [progress, deliveries] = await Promise.all([
    taskProgress(db, ids),
    listDeliveries(db, options.orgId, ids),
  ]);
  const cloneUrls = deliveries.size > 0 ? await createCloneUrls(db, request, options) : null;
  return rows.map((row) => {
    const delivery = deliveries.get(row.id);
    return toTask(
      row,
      progress.get(row.id)!,
      delivery ? toTaskDelivery(delivery, () => cloneUrls!(row.projectId)) : null,
    );
  });
}

/** A delivery as the API shows it: a local one with the clone URL of Cadre's repository. */
function toTaskDelivery(delivery: Delivery, cloneUrl: () => string): TaskDelivery {
  return delivery.mode === 'local' ? { ...delivery, cloneUrl: cloneUrl() } : delivery;
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f-]{36}$/i.test(id))
    throw validationError('querystring.cursor', 'is not a cursor from a previous page');
  return id;
}

export const taskRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { database: { db }, bus, config },
) => {
  const tags = ['tasks'];
  const { publicUrl } = config.server;
  const viewOf = async (request: FastifyRequest, row: TaskRow) =>
    (await toTasks(db, request, { orgId: row.orgId, publicUrl }, [row]))[0]!;
  /** Publishes what a request's transaction appended, once it committed. */
  const publish = async (events: PublishedEvent[]) => {
    if (bus) await publishEvents(bus, events);
  };

  app.post(
    '/api/tasks',
    {
      config: { permission: 'tasks:write' },
      schema: { tags, body: TaskCreate, response: { 201: Task } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const events: PublishedEvent[] = [];
      const row = await createTask(db, {
        orgId: principal.orgId,
        createdBy: principal.userId,
        input: request.body,
        sink: (event) => void events.push(event),
      });
      await publish(events);
      await recordAudit(db, principal, {
        action: 'task-created',
        targetType: 'task',
        targetId: row.id,
        requestId: request.id,
      });
      // A new task has only its planner step, which progress does not count.
      return reply.status(201).send(toTask(row, { done: 0, total: 0 }, null));
    },
  );

  app.get(
    '/api/tasks',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, querystring: TaskListQuery, response: { 200: TaskPage } },
    },
    async (request) => {
      const { projectId, status, limit, cursor } = request.query;
      const { orgId } = principalOf(request);
      const page = await listTasks(db, orgId, {
        projectId,
        statuses: status,
        limit,
        after: cursor ? decodeCursor(cursor) : undefined,
      });
      return {
        items: await toTasks(db, request, { orgId, publicUrl }, page.items),
        nextCursor: page.nextAfter ? encodeCursor(page.nextAfter) : null,
      };
    },
  );

  app.get(
    '/api/tasks/:id',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, params: IdParams, response: { 200: Task } },
    },
    async (request) => {
      return viewOf(request, await getTask(db, principalOf(request).orgId, request.params.id));
    },
  );

  app.post(
    '/api/tasks/:id/cancel',
    {
      config: { permission: 'tasks:write' },
      schema: { tags, params: IdParams, response: { 200: Task } },
    },
    async (request) => {
      const principal = principalOf(request);
      const events: PublishedEvent[] = [];
      const row = await cancelTask(
        db,
        principal.orgId,
        request.params.id,
        (event) => void events.push(event),
      );
      await publish(events);
      // Workers in every process abort the task's running steps.
      await bus?.broadcast(cancelChannel, { taskId: row.id });
      await recordAudit(db, principal, {
        action: 'task-cancelled',
        targetType: 'task',
        targetId: row.id,
        requestId: request.id,
      });
      return viewOf(request, row);
    },
  );

  app.get(
    '/api/tasks/:id/events',
    {
      config: { permission: 'tasks:read' },
      schema: {
        tags,
        params: IdParams,
        querystring: EventsQuery,
        response: { 200: z.object({ items: z.array(TaskEvent) }) },
      },
    },
    async (request) => {
      const task = await getTask(db, principalOf(request).orgId, request.params.id);
      const rows = await listEvents(db, task.id, request.query.after, request.query.limit);
      return {
        items: rows.map((row) => ({
          taskId: row.taskId,
          seq: row.seq,
          type: row.type,
          data: row.data as Record<string, unknown>,
          createdAt: row.createdAt.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/api/events',
    {
      config: { permission: 'tasks:read' },
      schema: {
        tags,
        querystring: RecentEventsQuery,
        response: {
          200: z.object({ items: z.array(TaskEvent.extend({ taskTitle: z.string() })) }),
        },
      },
    },
    async (request) => {
      const rows = await recentEvents(db, principalOf(request).orgId, request.query.limit);
      return {
        items: rows.map((row) => ({
          ...row,
          data: row.data as Record<string, unknown>,
          createdAt: row.createdAt.toISOString(),
        })),
      };
    },
  );
};
