// The agents page's view of the API: the team's agents and roles. Agent schemas come from the
// shared contract (src/api/schemas.ts); never from the server's route files, which would pull
// server code into the bundle.
import { z } from 'zod';
import { AgentDetail, type Agent, type AgentStepRun } from '../../../../src/api/schemas';
import { request } from '../../api';

export { type Agent, type AgentDetail, type AgentStepRun };

/** A role as the page shows it; the server's RoleDefinition lives with the agents' code. */
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

/** The list is the shared client's `api.agents`; these are the page's own reads. */
export const agentsApi = {
  agent: (agentId: string) => request(AgentDetail, `/api/agents/${encodeURIComponent(agentId)}`),
  roles: () => request(z.object({ items: z.array(Role) }), '/api/roles').then((page) => page.items),
};
