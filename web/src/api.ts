// The web app's view of the HTTP API: the same schemas as the server's contract.
import { z } from 'zod';
import {
  AgentList,
  ErrorBody,
  Health,
  Project,
  Summary,
  Task,
  TaskEvent,
  TaskPage,
  type Agent,
  type TaskCreate,
} from '../../src/api/schemas';
import { taskStatuses, type TaskStatus } from '../../src/orchestrator/task-status';

export {
  taskStatuses,
  type Agent,
  type Health,
  type Project,
  type Summary,
  type Task,
  type TaskStatus,
};

export const RecentEvent = TaskEvent.extend({ taskTitle: z.string() });
export type RecentEvent = z.infer<typeof RecentEvent>;

const tokenKey = 'cadre.token';

export const session = {
  get: () => localStorage.getItem(tokenKey),
  set: (token: string) => localStorage.setItem(tokenKey, token),
  clear: () => localStorage.removeItem(tokenKey),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Fired when the server no longer accepts the session: the app goes back to sign-in. */
export const unauthorizedEvent = 'cadre:unauthorized';

/** Calls the API with the session's token; parses the answer with `schema`. */
export async function request<T extends z.ZodType>(
  schema: T,
  path: string,
  init: RequestInit = {},
): Promise<z.infer<T>> {
  const token = session.get();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(path, { ...init, headers });
  const payload: unknown = response.status === 204 ? undefined : await response.json();
  if (!response.ok) {
    const parsed = ErrorBody.safeParse(payload);
    const error = parsed.success
      ? parsed.data.error
      : { code: 'HTTP_' + response.status, message: response.statusText };
    if (response.status === 401 && token) window.dispatchEvent(new Event(unauthorizedEvent));
    throw new ApiError(response.status, error.code, error.message);
  }
  return schema.parse(payload);
}

export const api = {
  health: () => request(Health, '/healthz'),
  projects: () =>
    request(z.object({ items: z.array(Project) }), '/api/projects').then((page) => page.items),
  createProject: (name: string) =>
    request(Project, '/api/projects', { method: 'POST', body: JSON.stringify({ name }) }),
  tasks: (filter: {
    projectId?: string | null;
    status?: string | null;
    cursor?: string | null;
    limit?: number;
  }) => {
    const query = new URLSearchParams({ limit: '50' });
    for (const [name, value] of Object.entries(filter)) if (value) query.set(name, String(value));
    return request(TaskPage, `/api/tasks?${query}`);
  },
  task: (taskId: string) => request(Task, `/api/tasks/${encodeURIComponent(taskId)}`),
  summary: (hours = 24) => request(Summary, `/api/summary?hours=${hours}`),
  recentEvents: (limit = 30) =>
    request(z.object({ items: z.array(RecentEvent) }), `/api/events?limit=${limit}`).then(
      (page) => page.items,
    ),
  agents: () => request(AgentList, '/api/agents').then((page) => page.items),
  createTask: (input: TaskCreate) =>
    request(Task, '/api/tasks', { method: 'POST', body: JSON.stringify(input) }),
  /** Ends a password session on the server; an API key stays valid (it is revoked elsewhere). */
  signOut: () =>
    session.get()?.startsWith('cadre_session_')
      ? request(z.undefined(), '/api/auth/sign-out', { method: 'POST' })
      : Promise.resolve(undefined),
  signIn: (email: string, password: string) =>
    request(z.object({ token: z.string() }), '/api/auth/sign-in', {
      method: 'POST',
      body: JSON.stringify({ email, password }),
    }),
};
