// The task page's view of the HTTP API: steps, transcripts, the diff, approvals and spend.
// Schemas the shared contract lacks mirror the server's routes, which pull in server code.
import { z } from 'zod';
import {
  Id,
  Progress,
  Project,
  StepKind,
  StepStatus,
  Task,
  TaskEvent,
  TaskStatus,
  Timestamp,
} from '../../../../src/api/schemas';
import { request } from '../../api';

export { StepStatus, TaskStatus, type Project, type Task, type TaskEvent };

export const Step = z.object({
  id: Id,
  key: z.string(),
  kind: StepKind,
  role: z.string(),
  goal: z.string(),
  acceptance: z.array(z.string()),
  dependsOn: z.array(z.string()),
  status: StepStatus,
  attempts: z.number().int(),
  round: z.number().int(),
  summary: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  claimedAt: Timestamp.nullable(),
});
export type Step = z.infer<typeof Step>;

export const StepList = z.object({ items: z.array(Step), progress: Progress });
export type StepList = z.infer<typeof StepList>;

const entryBase = { seq: z.number().int(), createdAt: Timestamp };
export const TranscriptEntry = z.discriminatedUnion('kind', [
  z.object({
    ...entryBase,
    kind: z.literal('model'),
    turn: z.number().int(),
    text: z.string(),
    toolCalls: z.array(
      z.object({ toolCallId: z.string(), toolName: z.string(), input: z.unknown() }),
    ),
    model: z.string(),
    costUsd: z.number(),
  }),
  z.object({
    ...entryBase,
    kind: z.enum(['tool-start', 'tool-suspended']),
    toolCallId: z.string(),
    toolName: z.string(),
  }),
  z.object({
    ...entryBase,
    kind: z.literal('tool-result'),
    toolCallId: z.string(),
    toolName: z.string(),
    output: z.unknown(),
    isError: z.boolean(),
  }),
]);
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;

export const Transcript = z.object({ stepId: Id, items: z.array(TranscriptEntry) });
export type Transcript = z.infer<typeof Transcript>;

export const DiffFileStatus = z.enum(['added', 'modified', 'deleted', 'renamed', 'changed']);
export const Diff = z.object({
  baseBranch: z.string(),
  branch: z.string(),
  mergeBase: z.string(),
  files: z.array(z.object({ path: z.string(), status: DiffFileStatus })),
  patch: z.string(),
});
export type Diff = z.infer<typeof Diff>;

export const Approval = z.object({
  id: Id,
  taskId: Id,
  stepId: Id.nullable(),
  kind: z.enum(['question', 'merge', 'network']),
  question: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  answer: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type Approval = z.infer<typeof Approval>;

export const SpendRow = z.object({
  key: z.string().nullable(),
  calls: z.number().int(),
  cacheHits: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedTokens: z.number().int(),
  costUsd: z.number(),
});
export type SpendRow = z.infer<typeof SpendRow>;

export const SpendReport = z.object({ items: z.array(SpendRow), totalUsd: z.number() });
export type SpendReport = z.infer<typeof SpendReport>;

const post = (body?: unknown): RequestInit => ({
  method: 'POST',
  body: body === undefined ? undefined : JSON.stringify(body),
});

export const taskApi = {
  task: (taskId: string) => request(Task, `/api/tasks/${taskId}`),
  cancel: (taskId: string) => request(Task, `/api/tasks/${taskId}/cancel`, post()),
  /** The task's events with their times, which live messages do not carry. */
  events: (taskId: string) =>
    request(z.object({ items: z.array(TaskEvent) }), `/api/tasks/${taskId}/events?limit=1000`),
  project: (projectId: string) => request(Project, `/api/projects/${projectId}`),
  steps: (taskId: string) => request(StepList, `/api/tasks/${taskId}/steps`),
  transcript: (stepId: string) => request(Transcript, `/api/steps/${stepId}/transcript`),
  diff: (projectId: string, taskId: string) =>
    request(Diff, `/api/projects/${projectId}/tasks/${taskId}/diff`),
  approvals: (taskId: string) =>
    request(z.object({ items: z.array(Approval) }), `/api/approvals?taskId=${taskId}`).then(
      (list) => list.items,
    ),
  decide: (approvalId: string, verdict: 'approve' | 'reject', answer?: string) =>
    request(Approval, `/api/approvals/${approvalId}/${verdict}`, post(answer ? { answer } : {})),
  spend: (taskId: string) => request(SpendReport, `/api/spend?groupBy=model&taskId=${taskId}`),
};
