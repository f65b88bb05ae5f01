// The states a task goes through; the finished ones never change again.

export const taskStatuses = [
  'queued',
  'planning',
  'running',
  'waiting',
  'done',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const finishedStatuses: readonly TaskStatus[] = ['done', 'failed', 'cancelled'];
