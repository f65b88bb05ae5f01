export {
  builtInRoles,
  mergeRoles,
  RoleDefinition,
  ModelPolicy,
  ToolName,
  toolNames,
} from './roles.js';
