// `cadre task watch`, `cadre task create --watch` and `cadre task cancel`: a task's progress
// as it happens, read from its event log (GET /api/tasks/:id/events?after=<seq>), so a watcher
// that starts late or reconnects misses nothing. It only reads, except for cancel.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { Task } from '../../api/index.js';
import { SpendReport } from '../../api/routes/spend.js';
import { TaskEvent } from '../../api/schemas.js';
import type { ApiClient } from '../api-client.js';
import { exitCodes } from '../exit-codes.js';
import { resolveProject } from './resources.js';

const EventPage = z.object({ items: z.array(TaskEvent) });
const finalEvents: Record<string, Task['status']> = {
  'task-done': 'done',
  'task-failed': 'failed',
  'task-cancelled': 'cancelled',
};

export interface WatchOptions {
  json?: boolean;
  /** How long to wait between polls when nothing new has come. */
  intervalMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
  write?: (line: string) => void;
}

export interface WatchSummary {
  task: Task;
  spendUsd: number;
}

/** Prints a task's events until it ends, then a summary; returns the exit code (0 if done). */
export async function watchTask(
  client: ApiClient,
  taskId: string,
  options: WatchOptions = {},
): Promise<number> {
  const {
    json = false,
    intervalMs = 500,
    sleep = delay,
    write = (line) => process.stdout.write(line + '\n'),
  } = options;
  const id = encodeURIComponent(taskId);
  let after = 0;
  let costUsd = 0;
  let final: Task['status'] | undefined;
  while (!final) {
    const { items } = await client.request(
      EventPage,
      'GET',
      `/api/tasks/${id}/events?after=${after}&limit=200`,
    );
    for (const event of items) {
      after = event.seq;
      costUsd += event.type === 'agent-turn' ? Number(event.data.costUsd ?? 0) : 0;
      write(json ? JSON.stringify({ event }) : `${clock(event.createdAt)}  ${describe(event)}`);
      final ??= finalEvents[event.type];
    }
    if (!final && items.length < 200) await sleep(intervalMs);
  }
  const task = await client.request(Task, 'GET', `/api/tasks/${id}`);
  const spendUsd = await taskSpend(client, task.id).catch(() => costUsd);
  write(json ? JSON.stringify({ summary: { task, spendUsd } }) : summary({ task, spendUsd }));
  return task.status === 'done' ? exitCodes.ok : exitCodes.failed;
}

/** What the task's model calls cost, from the ledger. */
async function taskSpend(client: ApiClient, taskId: string): Promise<number> {
  const report = await client.request(
    SpendReport,
    'GET',
    `/api/spend?groupBy=task&taskId=${encodeURIComponent(taskId)}`,
  );
  return report.totalUsd;
}

function summary({ task, spendUsd }: WatchSummary): string {
  return [
    `Task ${task.id} ${task.status}: ${task.title}`,
    `  steps  ${task.progress.done} of ${task.progress.total} done`,
    `  spend  ${usd(spendUsd)}`,
    ...(task.error ? [`  error  ${task.error}`] : []),
  ].join('\n');
}

const usd = (value: number) => `$${value.toFixed(4)}`;
const clock = (timestamp: string) => timestamp.slice(11, 19);
const text = (value: unknown) => (typeof value === 'string' ? value : '');
/** The first line of a long message: the summary at the end prints it whole. */
const firstLine = (value: unknown) => {
  const [first = '', ...rest] = text(value).split('\n');
  return rest.length > 0 ? `${first} …` : first;
};

/** One event as a line a person reads. */
export function describe(event: TaskEvent): string {
  const data = event.data;
  const key = text(data.key);
  const role = text(data.role);
  switch (event.type) {
    case 'task-created':
      return 'task created';
    case 'step-queued':
      return `${key} queued for the ${role}`;
    case 'step-started':
      return `${role} started ${key}${Number(data.attempt) > 1 ? ` (attempt ${String(data.attempt)})` : ''}`;
    case 'step-done':
      return `${role} finished ${key}${data.summary ? `: ${text(data.summary)}` : ''}`;
    case 'agent-turn': {
      const tools = Array.isArray(data.toolCalls) ? data.toolCalls.join(', ') : '';
      return `  ${key} turn ${String(data.turn)}: ${text(data.model)}, ${usd(Number(data.costUsd ?? 0))}${tools ? ` → ${tools}` : ''}`;
    }
    case 'tool-call-start':
      return `  ${key} ${text(data.tool)} …`;
    case 'tool-call-end':
      return `  ${key} ${text(data.tool)} ${data.isError ? 'failed' : 'ok'}`;
    case 'plan-accepted':
      return `plan accepted: ${String(data.steps)} steps. ${text(data.summary)}`.trim();
    case 'plan-rejected':
      return `plan refused, the planner tries again: ${list(data.problems)}`;
    case 'gates-queued':
      return `review and tests queued (round ${String(data.round)})`;
    case 'gates-passed':
      return `review and tests passed (round ${String(data.round)})`;
    case 'gate-failed':
      return `gate failed (round ${String(data.round)}): ${list(data.feedback)}`;
    case 'approval-requested':
      return `approval requested (${text(data.kind)}${data.reason ? `: ${text(data.reason)}` : ''}); see: cadre approval list --task ${event.taskId}`;
    case 'approval-approved':
    case 'approval-rejected':
      return `${text(data.kind)} approval ${event.type.slice('approval-'.length)}`;
    case 'merge-conflict':
      return `merge conflict in ${text(data.step)}: ${list(data.paths)}`;
    case 'task-merged':
      return `merged as ${text(data.commit)}`;
    case 'step-dead':
      return `${key} failed for good: ${firstLine(data.error)}`;
    default:
      if (event.type.startsWith('task-')) {
        return `task ${event.type.slice('task-'.length)}${data.error ? `: ${firstLine(data.error)}` : ''}`;
      }
      return `${event.type} ${JSON.stringify(data)}`;
  }
}

const list = (value: unknown) => (Array.isArray(value) ? value.map(String).join('; ') : '');

export interface CreateAndWatchOptions extends WatchOptions {
  project: string;
  title?: string;
  priority?: string;
  budget?: string;
}

/** `cadre task create … --watch`: creates the task, then watches it to its end. */
export async function createAndWatch(
  client: ApiClient,
  description: string,
  options: CreateAndWatchOptions,
): Promise<number> {
  const task = await client.request(Task, 'POST', '/api/tasks', {
    projectId: await resolveProject(client, options.project),
    description,
    title: options.title,
    priority: options.priority === undefined ? undefined : Number(options.priority),
    budgetUsd: options.budget === undefined ? undefined : Number(options.budget),
  });
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  write(
    options.json
      ? JSON.stringify({ task })
      : `Created task ${task.id}: ${task.title}. Watching it (Ctrl+C stops watching, not the task).`,
  );
  return watchTask(client, task.id, { ...options, write });
}

/** `cadre task cancel <id>`. */
export async function taskCancel(client: ApiClient, id: string, options: { json?: boolean }) {
  const task = await client.request(Task, 'POST', `/api/tasks/${encodeURIComponent(id)}/cancel`);
  process.stdout.write(
    (options.json ? JSON.stringify(task, null, 2) : `Cancelled task ${task.id}: ${task.title}`) +
      '\n',
  );
}
