// The states an agent instance reports. No imports: the web app bundles this with the API's
// schemas.

export const agentStatuses = ['idle', 'working', 'waiting', 'error', 'stopped'] as const;
export type AgentStatus = (typeof agentStatuses)[number];
