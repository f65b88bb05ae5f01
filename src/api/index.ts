export { buildApp } from './app.js';
export type { AppDeps } from './app.js';
export { principalOf } from './auth-hook.js';
export {
  describeDelivery,
  ErrorBody,
  Health,
  Project,
  ProjectCreate,
  ProjectUpdate,
  Task,
  TaskCreate,
  TaskDelivery,
  TaskPage,
  TaskStatus,
} from './schemas.js';
