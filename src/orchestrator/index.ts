export { appendEvent } from './events.js';
export type { NewEvent } from './events.js';
export {
  createProject,
  listProjects,
  getProject,
  updateProject,
  deleteProject,
} from './projects.js';
export type { ProjectInput, ProjectRow } from './projects.js';
export {
  createTask,
  listTasks,
  getTask,
  cancelTask,
  taskStatuses,
  finishedStatuses,
} from './tasks.js';
export type { TaskInput, TaskRow, TaskStatus, TaskFilter } from './tasks.js';
