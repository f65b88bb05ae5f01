export { buildApp } from './app.js';
export type { AppDeps } from './app.js';
export { principalOf } from './auth-hook.js';
export {
  ErrorBody,
  Health,
  Project,
  ProjectCreate,
  ProjectUpdate,
  Task,
  TaskCreate,
  TaskPage,
  TaskStatus,
} from './schemas.js';
