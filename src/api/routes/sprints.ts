// /api/sprints: tasks grouped into sprints, ordered by dependencies then priority, with the
// budget planned and spent against the sprint's capacity; and PATCH /api/tasks/:id, which
// plans a task: its sprint, priority and the tasks it depends on.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit } from '../../auth/index.js';
import {
  createSprint,
  getSprintView,
  listSprints,
  planTask,
  type SprintRow,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { Id, IdParams, Task, Timestamp } from '../schemas.js';
import { toTasks } from './tasks.js';

export const Sprint = z.object({
  id: Id,
  projectId: Id.nullable(),
  name: z.string(),
  capacityUsd: z.number().nullable(),
  startsAt: Timestamp.nullable(),
  endsAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type Sprint = z.infer<typeof Sprint>;

export const SprintCreate = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100),
    projectId: Id.optional(),
    capacityUsd: z.number().positive().max(1_000_000).optional(),
    startsAt: Timestamp.optional(),
    endsAt: Timestamp.optional(),
  })
  .refine(
    (value) =>
      !value.startsAt || !value.endsAt || Date.parse(value.endsAt) > Date.parse(value.startsAt),
    { message: 'must be after startsAt', path: ['endsAt'] },
  );

export const SprintTask = Task.extend({ spentUsd: z.number() });

export const SprintDetail = Sprint.extend({
  tasks: z.array(SprintTask),
  budget: z.object({
    capacityUsd: z.number().nullable(),
    /** The sum of the tasks' budgets. */
    plannedUsd: z.number(),
    /** What the tasks' model calls cost so far. */
    spentUsd: z.number(),
    isOverCapacity: z.boolean(),
  }),
});
export type SprintDetail = z.infer<typeof SprintDetail>;

export const TaskPlanUpdate = z
  .strictObject({
    sprintId: Id.nullable().optional(),
    priority: z.number().int().min(-100).max(100).optional(),
    dependsOn: z.array(Id).max(100).optional(),
  })
  .refine((value) => Object.keys(value).length > 0, {
    message: 'give at least one of sprintId, priority, dependsOn',
  });

/** The API's view of a sprint row. */
export function toSprint(row: SprintRow): Sprint {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    capacityUsd: row.capacityUsd === null ? null : Number(row.capacityUsd),
    startsAt: row.startsAt?.toISOString() ?? null,
    endsAt: row.endsAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export const sprintRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { database: { db }, config },
) => {
  const tags = ['sprints'];
  const { publicUrl } = config.server;

  app.post(
    '/api/sprints',
    {
      config: { permission: 'tasks:write' },
      schema: { tags, body: SprintCreate, response: { 201: Sprint } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { startsAt, endsAt, ...rest } = request.body;
      const row = await createSprint(db, principal.orgId, {
        ...rest,
        startsAt: startsAt ? new Date(startsAt) : undefined,
        endsAt: endsAt ? new Date(endsAt) : undefined,
      });
      await recordAudit(db, principal, {
        action: 'sprint-created',
        targetType: 'sprint',
        targetId: row.id,
        requestId: request.id,
      });
      return reply.status(201).send(toSprint(row));
    },
  );

  app.get(
    '/api/sprints',
    {
      config: { permission: 'tasks:read' },
      schema: {
        tags,
        querystring: z.strictObject({ projectId: Id.optional() }),
        response: { 200: z.object({ items: z.array(Sprint) }) },
      },
    },
    async (request) => ({
      items: (await listSprints(db, principalOf(request).orgId, request.query)).map(toSprint),
    }),
  );

  app.get(
    '/api/sprints/:id',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, params: IdParams, response: { 200: SprintDetail } },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const view = await getSprintView(db, orgId, request.params.id);
      const tasks = await toTasks(db, request, { orgId, publicUrl }, view.tasks);
      const capacityUsd = view.sprint.capacityUsd === null ? null : Number(view.sprint.capacityUsd);
      return {
        ...toSprint(view.sprint),
        tasks: tasks.map((task) => ({
          ...task,
          spentUsd: view.spentByTask.get(task.id) ?? 0,
        })),
        budget: {
          capacityUsd,
          plannedUsd: view.plannedUsd,
          spentUsd: view.spentUsd,
          isOverCapacity:
            capacityUsd !== null && Math.max(view.plannedUsd, view.spentUsd) > capacityUsd,
        },
      };
    },
  );

  app.patch(
    '/api/tasks/:id',
    {
      config: { permission: 'tasks:write' },
      schema: { tags: ['tasks'], params: IdParams, body: TaskPlanUpdate, response: { 200: Task } },
    },
    async (request) => {
      const principal = principalOf(request);
      const row = await planTask(db, principal.orgId, request.params.id, request.body);
      await recordAudit(db, principal, {
        action: 'task-planned',
        targetType: 'task',
        targetId: row.id,
        data: request.body,
        requestId: request.id,
      });
      return (await toTasks(db, request, { orgId: principal.orgId, publicUrl }, [row]))[0]!;
    },
  );
};
