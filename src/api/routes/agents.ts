// GET /api/agents: the organization's agent instances, what each is doing and when it last
// showed life. Workers write these rows (src/orchestrator/agents.ts); the API only reads them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { agentStatuses, listAgents, type AgentView } from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { Id, Timestamp } from '../schemas.js';

export const Agent = z.object({
  id: Id,
  role: z.string(),
  name: z.string(),
  status: z.enum(agentStatuses),
  workerId: z.string().nullable(),
  currentStepId: Id.nullable(),
  heartbeatAt: Timestamp.nullable(),
  /** What it is on, in words: the step's key and its task's title; null when idle. */
  activity: z.string().nullable(),
  step: z
    .object({ key: z.string(), taskId: Id, taskTitle: z.string(), goal: z.string() })
    .nullable(),
  createdAt: Timestamp,
});
export type Agent = z.infer<typeof Agent>;

/** The API's view of an agent row. */
export function toAgent(row: AgentView): Agent {
  const status = z.enum(agentStatuses).parse(row.status);
  const isOnStep = row.step !== null && (status === 'working' || status === 'waiting');
  return {
    id: row.id,
    role: row.role,
    name: row.name,
    status,
    workerId: row.workerId,
    currentStepId: row.currentStepId,
    heartbeatAt: row.heartbeatAt?.toISOString() ?? null,
    activity: isOnStep
      ? `${status === 'waiting' ? 'waiting in' : 'on'} ${row.step!.key} of "${row.step!.taskTitle}"`
      : null,
    step: row.step,
    createdAt: row.createdAt.toISOString(),
  };
}

export const agentRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { database: { db } }) => {
  app.get(
    '/api/agents',
    {
      config: { permission: 'tasks:read' },
      schema: { tags: ['agents'], response: { 200: z.object({ items: z.array(Agent) }) } },
    },
    async (request) => ({
      items: (await listAgents(db, principalOf(request).orgId)).map(toAgent),
    }),
  );
};
