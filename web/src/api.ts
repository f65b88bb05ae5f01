// The web app's view of the HTTP API: the same schemas as the server's contract.
import { z } from 'zod';
import {
  AgentList,
  BrowserSession,
  ErrorBody,
  Health,
  Project,
  Summary,
  type ProjectCreate,
  type ProjectUpdate,
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

/**
 * What the page knows of its session. The credential itself stays in an httpOnly cookie that no
 * script here can read; the CSRF token that unsafe requests must carry is kept in memory only.
 */
let current: BrowserSession | null = null;

export const session = {
  current: () => current,
  /** The session the cookie holds, asked of the server; null when signed out. */
  restore: async (): Promise<BrowserSession | null> => {
    // The server's readable marker cookie: without it there is no session to ask about.
    if (!/(^|;\s*)cadre_signed_in=1(;|$)/.test(document.cookie)) return (current = null);
    try {
      return (current = await request(BrowserSession, '/api/auth/session'));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) return (current = null);
      throw failure;
    }
  },
  forget: () => {
    current = null;
  },
};

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** Calls the API in the browser's session (its cookie); parses the answer with `schema`. */
export async function request<T extends z.ZodType>(
  schema: T,
  path: string,
  init: RequestInit = {},
): Promise<z.infer<T>> {
  const headers = new Headers(init.headers);
  const isUnsafe = !safeMethods.has((init.method ?? 'GET').toUpperCase());
  if (isUnsafe && current?.csrfToken) headers.set('x-csrf-token', current.csrfToken);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  const payload: unknown = response.status === 204 ? undefined : await response.json();
  if (!response.ok) {
    const parsed = ErrorBody.safeParse(payload);
    const error = parsed.success
      ? parsed.data.error
      : { code: 'HTTP_' + response.status, message: response.statusText };
    if (response.status === 401 && current) window.dispatchEvent(new Event(unauthorizedEvent));
    throw new ApiError(response.status, error.code, error.message);
  }
  return schema.parse(payload);
}

export const api = {
  health: () => request(Health, '/healthz'),
  projects: () =>
    request(z.object({ items: z.array(Project) }), '/api/projects').then((page) => page.items),
  /** Creates a project; with a repository, the server clones it first (nothing is made on failure). */
  createProject: (input: ProjectCreate) =>
    request(Project, '/api/projects', { method: 'POST', body: JSON.stringify(input) }),
  updateProject: (projectId: string, changes: ProjectUpdate) =>
    request(Project, `/api/projects/${encodeURIComponent(projectId)}`, {
      method: 'PATCH',
      body: JSON.stringify(changes),
    }),
  /** Makes a new webhook secret for the project (the old one stops working); answered once. */
  createWebhookSecret: (projectId: string) =>
    request(
      z.object({ secret: z.string(), url: z.string() }),
      `/api/projects/${encodeURIComponent(projectId)}/webhook-secret`,
      { method: 'POST' },
    ),
  deleteProject: (projectId: string) =>
    request(z.undefined(), `/api/projects/${encodeURIComponent(projectId)}`, {
      method: 'DELETE',
    }),
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
  /** Forgets the cookie and ends a password session; an API key stays valid (revoke it in Settings). */
  signOut: () => request(z.undefined(), '/api/auth/sign-out', { method: 'POST' }),
  /** Signs in with a password; the server keeps the session in the cookie. */
  signIn: async (email: string, password: string) => {
    const signedIn = await request(z.object({ csrfToken: z.string() }), '/api/auth/sign-in', {
      method: 'POST',
      body: JSON.stringify({ email, password, cookie: true }),
    });
    current = { credential: 'session', apiKeyId: null, csrfToken: signedIn.csrfToken };
    return current;
  },
  /** Signs in with an API key: sent once, then held by the server in the cookie. */
  signInWithKey: async (key: string) =>
    (current = await request(BrowserSession, '/api/auth/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    })),
};
