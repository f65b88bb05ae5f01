// `cadre task retry <id>`: runs a failed or cancelled task again (POST /api/tasks/:id/retry),
// from its failed step, a chosen step or the start, and with --watch follows the new attempt.
import { z } from 'zod';
import { Task } from '../../api/index.js';
import { TaskEvent } from '../../api/schemas.js';
import type { ApiClient } from '../api-client.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { watchTask, type WatchOptions } from './watch.js';

const EventPage = z.object({ items: z.array(TaskEvent) });

export interface RetryOptions extends WatchOptions {
  fromStep?: string;
  fromStart?: boolean;
  description?: string;
  watch?: boolean;
}

/** Retries the task; with `watch`, follows it from the retry on and returns the exit code. */
export async function taskRetry(
  client: ApiClient,
  id: string,
  options: RetryOptions,
): Promise<number> {
  if (options.fromStep !== undefined && options.fromStart) {
    throw new CliError('Give --from-step or --from-start, not both.', exitCodes.usage);
  }
  const task = await client.request(Task, 'POST', `/api/tasks/${encodeURIComponent(id)}/retry`, {
    fromStep: options.fromStep,
    fromStart: options.fromStart,
    description: options.description,
  });
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  if (!options.watch) {
    write(
      options.json
        ? JSON.stringify(task, null, 2)
        : `Retried task ${task.id} (attempt ${task.attempt}): ${task.title}`,
    );
    return exitCodes.ok;
  }
  write(
    options.json
      ? JSON.stringify({ task })
      : `Retried task ${task.id} (attempt ${task.attempt}). Watching it (Ctrl+C stops watching, not the task).`,
  );
  // The earlier attempts' events end in their own failure: watch from this retry on.
  return watchTask(client, task.id, { ...options, write, after: await retrySeq(client, task.id) });
}

/** The sequence number just before the task's latest task-retried event. */
async function retrySeq(client: ApiClient, taskId: string): Promise<number> {
  let after = 0;
  let found = 0;
  for (;;) {
    const { items } = await client.request(
      EventPage,
      'GET',
      `/api/tasks/${encodeURIComponent(taskId)}/events?after=${after}&limit=200`,
    );
    for (const event of items) if (event.type === 'task-retried') found = event.seq - 1;
    if (items.length < 200) return found;
    after = items.at(-1)!.seq;
  }
}
