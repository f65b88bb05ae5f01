export {
  builtInRoles,
  mergeRoles,
  RoleDefinition,
  ModelPolicy,
  ToolName,
  toolNames,
} from './roles.js';
export { runAgent } from './runtime.js';
export type { AgentEvent, AgentOutcome, Checkpoints, RunAgentOptions } from './runtime.js';
export type { TranscriptEntry } from './transcript.js';
export type { CommandOutput, MemoryItem, ToolHost } from './tool-host.js';
export { StepSuspended } from './tool-host.js';
export { tools, clip } from './tools.js';
export type { ToolSpec } from './tools.js';
