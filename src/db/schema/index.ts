export {
  organizations,
  users,
  memberships,
  apiKeys,
  sessions,
  signInFailures,
  projects,
  projectSecrets,
  tasks,
  steps,
  agents,
  events,
  llmCalls,
  auditLog,
} from './core.js';
export { llmBudgets, llmCache } from './llm.js';
export { sandboxRuns } from './sandbox.js';
export { roles } from './roles.js';
export { agentTurns } from './agents.js';
export { approvals, memories } from './orchestration.js';
export { sprints } from './sprints.js';
export { taskBranches } from './workspaces.js';
export { hostComments, taskHostLinks, webhookDeliveries } from './hosts.js';
export { taskDeliveries } from './deliveries.js';
