// GET /api/agents and /api/agents/:id: the organization's agent instances, what each is doing,
// whether it still shows life, and the steps it ran. Workers write these rows
// (src/orchestrator/agents.ts); the API only reads them.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CadreError } from '../../errors/index.js';
import {
  getAgent,
  listAgents,
  listAgentSteps,
  type AgentStepRow,
  type AgentView,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import {
  AgentDetail,
  AgentList,
  AgentStatus,
  IdParams,
  StepKind,
  StepStatus,
  type Agent,
  type AgentStepRun,
} from '../schemas.js';

/** The API's view of an agent row. */
export function toAgent(row: AgentView): Agent {
  const status = AgentStatus.parse(row.status);
  const isOnStep = row.step !== null && (status === 'working' || status === 'waiting');
  return {
    id: row.id,
    role: row.role,
    name: row.name,
    status,
    isHealthy: row.isHealthy,
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

/** The API's view of a step the agent ran. */
function toAgentStepRun(row: AgentStepRow): AgentStepRun {
  const { startedAt, finishedAt } = row;
  return {
    stepId: row.id,
    key: row.key,
    kind: StepKind.parse(row.kind),
    role: row.role,
    status: StepStatus.parse(row.status),
    taskId: row.taskId,
    taskTitle: row.taskTitle,
    startedAt: startedAt?.toISOString() ?? null,
    finishedAt: finishedAt?.toISOString() ?? null,
    durationMs:
      startedAt && finishedAt ? Math.max(0, finishedAt.getTime() - startedAt.getTime()) : null,
  };
}

export const agentRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { database: { db } }) => {
  app.get(
    '/api/agents',
    {
      config: { permission: 'tasks:read' },
      schema: { tags: ['agents'], response: { 200: AgentList } },
    },
    async (request) => ({
      items: (await listAgents(db, principalOf(request).orgId)).map(toAgent),
    }),
  );

  app.get(
    '/api/agents/:id',
    {
      config: { permission: 'tasks:read' },
      schema: { tags: ['agents'], params: IdParams, response: { 200: AgentDetail } },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const { id } = request.params;
      const [agent, steps] = await Promise.all([
        getAgent(db, orgId, id),
        listAgentSteps(db, orgId, id),
      ]);
      if (!agent) throw new CadreError('NOT_FOUND', `No agent ${id} in your organization.`);
      return { ...toAgent(agent), recentSteps: steps.map(toAgentStepRun) };
    },
  );
};
