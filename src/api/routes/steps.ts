// /api/tasks/:id/steps and /api/steps/:id/transcript: what a task's agents did, step by step
// and turn by turn. Read-only; the orchestrator alone changes steps.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  countProgress,
  getStep,
  getTask,
  listSteps,
  listTranscript,
  type StepRow,
  type TranscriptRow,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import {
  AttemptError,
  IdParams,
  StepKind,
  StepList,
  StepStatus,
  Transcript,
  type Step,
  type TranscriptEntry,
} from '../schemas.js';

// Postgres writes the time of an attempt error in its own format; the API gives ISO 8601.
const StoredAttemptError = AttemptError.extend({
  at: z.string().transform((value) => new Date(value).toISOString()),
});

/** The API's view of a step row. */
export function toStep(row: StepRow): Step {
  const result = row.result as { summary?: unknown } | null;
  return {
    id: row.id,
    taskId: row.taskId,
    key: row.key,
    kind: StepKind.parse(row.kind),
    role: row.role,
    goal: row.goal,
    acceptance: z.array(z.string()).catch([]).parse(row.acceptance),
    dependsOn: row.dependsOn,
    status: StepStatus.parse(row.status),
    attempts: row.attempts,
    failures: row.failures,
    maxAttempts: row.maxAttempts,
    leaseExpiries: row.leaseExpiries,
    maxLeaseExpiries: row.maxLeaseExpiries,
    attemptErrors: z.array(StoredAttemptError).catch([]).parse(row.attemptErrors),
    round: row.round,
    attempt: row.attempt,
    summary: typeof result?.summary === 'string' ? result.summary : null,
    result: row.result,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    claimedAt: row.claimedAt?.toISOString() ?? null,
  };
}

function toEntry(row: TranscriptRow): TranscriptEntry {
  return { ...row.entry, seq: row.seq, createdAt: row.createdAt.toISOString() };
}

export const stepRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { database: { db } }) => {
  const tags = ['tasks'];

  app.get(
    '/api/tasks/:id/steps',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, params: IdParams, response: { 200: StepList } },
    },
    async (request) => {
      const task = await getTask(db, principalOf(request).orgId, request.params.id);
      const rows = await listSteps(db, task.id);
      return { items: rows.map(toStep), progress: countProgress(rows) };
    },
  );

  app.get(
    '/api/steps/:id/transcript',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, params: IdParams, response: { 200: Transcript } },
    },
    async (request) => {
      const step = await getStep(db, principalOf(request).orgId, request.params.id);
      return { stepId: step.id, items: (await listTranscript(db, step.id)).map(toEntry) };
    },
  );
};
