// The states a task goes through. A finished one never changes again, but for one case: a
// done task whose pull request gets a review asking for changes runs a fix round (host-intake.ts).

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
