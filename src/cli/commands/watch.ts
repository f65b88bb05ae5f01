// `cadre task watch`, `cadre task create --watch` and `cadre task cancel`: a task's progress
// as it happens, read from its event log (GET /api/tasks/:id/events?after=<seq>), so a watcher
// that starts late or reconnects misses nothing. It only reads, except for cancel.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { describeDelivery, Task } from '../../api/index.js';
import { SpendReport, TaskEvent } from '../../api/schemas.js';
import { describeEvent } from '../../orchestrator/event-text.js';
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
  /** Start after this event (0: from the task's creation). */
  after?: number;
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
  let after = options.after ?? 0;
  let costUsd = 0;
  let final: Task['status'] | undefined;
  for (;;) {
    const { items } = await client.request(
      EventPage,
      'GET',
      `/api/tasks/${id}/events?after=${after}&limit=200`,
    );
    for (const event of items) {
      after = event.seq;
      costUsd += event.type === 'agent-turn' ? Number(event.data.costUsd ?? 0) : 0;
      write(json ? JSON.stringify({ event }) : `${clock(event.createdAt)}  ${describe(event)}`);
      // A retry starts the task again: an earlier attempt's end is not the task's.
      final = event.type === 'task-retried' ? undefined : (finalEvents[event.type] ?? final);
    }
    if (items.length === 200) continue;
    if (final) break;
    await sleep(intervalMs);
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
    ...(task.delivery ? [`  result ${describeDelivery(task.delivery)}`] : []),
    ...(task.error ? [`  error  ${task.error}`] : []),
  ].join('\n');
}

const usd = (value: number) => `$${value.toFixed(4)}`;
const clock = (timestamp: string) => timestamp.slice(11, 19);

/** One event as a line a person reads, pointing at the command that answers an approval. */
export function describe(event: TaskEvent): string {
  const line = describeEvent(event);
  return event.type === 'approval-requested'
    ? `${line}; see: cadre approval list --task ${event.taskId}`
    : line;
}

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
