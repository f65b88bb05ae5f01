// The agents page's view of the API: the team's agents and roles. Schemas are declared here,
// never imported from the server's route files, which would pull server code into the bundle.
import { z } from 'zod';
import { Id, Timestamp } from '../../../../src/api/schemas';
import { request } from '../../api';

export const Agent = z.object({
  id: Id,
  role: z.string(),
  name: z.string(),
  /** idle, working, waiting, error or stopped; kept a string so that a new status still shows. */
  status: z.string(),
  /** The server's verdict on its heartbeat; older servers leave it out. */
  isHealthy: z.boolean().optional(),
  workerId: z.string().nullable(),
  currentStepId: Id.nullable(),
  heartbeatAt: Timestamp.nullable(),
  /** What it is on, in words; null when idle. */
  activity: z.string().nullable(),
  step: z
    .object({ key: z.string(), taskId: Id, taskTitle: z.string(), goal: z.string() })
    .nullable(),
  createdAt: Timestamp,
});
export type Agent = z.infer<typeof Agent>;

/** A step the agent ran (its latest attempt). */
export const AgentStepRun = z.object({
  stepId: Id,
  key: z.string(),
  kind: z.string(),
  role: z.string(),
  status: z.string(),
  taskId: Id,
  taskTitle: z.string(),
  startedAt: Timestamp.nullable(),
  /** Null while the step has not ended. */
  finishedAt: Timestamp.nullable(),
  durationMs: z.number().nullable(),
});
export type AgentStepRun = z.infer<typeof AgentStepRun>;

/** An agent and the last steps it ran, newest first. */
export const AgentDetail = Agent.extend({ recentSteps: z.array(AgentStepRun) });
export type AgentDetail = z.infer<typeof AgentDetail>;

export const Role = z.object({
  name: z.string(),
  description: z.string(),
  tools: z.array(z.string()),
  modelPolicy: z.object({
    tier: z.string(),
    capabilities: z.array(z.string()),
    maxCostUsd: z.number().optional(),
    model: z.string().optional(),
  }),
  maxTurns: z.number(),
  budgetShare: z.number(),
});
export type Role = z.infer<typeof Role>;

export const agentsApi = {
  agents: () =>
    request(z.object({ items: z.array(Agent) }), '/api/agents').then((page) => page.items),
  agent: (agentId: string) => request(AgentDetail, `/api/agents/${encodeURIComponent(agentId)}`),
  roles: () => request(z.object({ items: z.array(Role) }), '/api/roles').then((page) => page.items),
};

/** A working agent silent for three worker heartbeats (3 s each) is stuck, as the server says. */
export const staleAfterMs = 9_000;

/**
 * Whether the agent looks alive: a working agent must keep beating; others owe nothing. The
 * server's verdict wins (it is free of this browser's clock); an older server gives none.
 */
export function isHealthy(agent: Agent, now: number): boolean {
  if (agent.isHealthy !== undefined) return agent.isHealthy;
  if (agent.status !== 'working') return true;
  return agent.heartbeatAt !== null && now - Date.parse(agent.heartbeatAt) < staleAfterMs;
}
