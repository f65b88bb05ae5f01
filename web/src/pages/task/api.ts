// The task page's view of the HTTP API: steps, transcripts, the diff, approvals and spend.
// Schemas come from the shared contract (src/api/schemas.ts and workspace-schemas.ts), never
// from the server's route files, which would pull server code into the bundle.
import { z } from 'zod';
import { Diff } from '../../../../src/api/routes/workspace-schemas';
import {
  Approval,
  ApprovalList,
  Project,
  SpendReport,
  StepList,
  StepStatus,
  Task,
  TaskEvent,
  type TaskRetry,
  TaskStatus,
  Transcript,
  type Step,
  type TranscriptEntry,
} from '../../../../src/api/schemas';
import { request } from '../../api';

export {
  StepStatus,
  TaskStatus,
  type Approval,
  type Diff,
  type Project,
  type Step,
  type Task,
  type TaskEvent,
  type TaskRetry,
  type TranscriptEntry,
};

const post = (body?: unknown): RequestInit => ({
  method: 'POST',
  body: body === undefined ? undefined : JSON.stringify(body),
});

export const taskApi = {
  cancel: (taskId: string) => request(Task, `/api/tasks/${taskId}/cancel`, post()),
  retry: (taskId: string, body: TaskRetry) =>
    request(Task, `/api/tasks/${taskId}/retry`, post(body)),
  /** The task's events with their times, which live messages do not carry. */
  events: (taskId: string) =>
    request(z.object({ items: z.array(TaskEvent) }), `/api/tasks/${taskId}/events?limit=1000`),
  project: (projectId: string) => request(Project, `/api/projects/${projectId}`),
  steps: (taskId: string) => request(StepList, `/api/tasks/${taskId}/steps`),
  transcript: (stepId: string) => request(Transcript, `/api/steps/${stepId}/transcript`),
  diff: (projectId: string, taskId: string) =>
    request(Diff, `/api/projects/${projectId}/tasks/${taskId}/diff`),
  approvals: (taskId: string) =>
    request(ApprovalList, `/api/approvals?taskId=${taskId}`).then((list) => list.items),
  decide: (approvalId: string, verdict: 'approve' | 'reject', answer?: string) =>
    request(Approval, `/api/approvals/${approvalId}/${verdict}`, post(answer ? { answer } : {})),
  spend: (taskId: string) => request(SpendReport, `/api/spend?groupBy=model&taskId=${taskId}`),
};
