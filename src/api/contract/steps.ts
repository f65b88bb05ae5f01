// The HTTP contract of a task's steps and their transcripts: what its agents did, step by
// step and turn by turn. Pure zod: the web app bundles it.
import { z } from 'zod';
import { Id, Timestamp } from './primitives.js';

/** Steps done of total, counting work, fix, review, test and merge steps. */
export const Progress = z.object({ done: z.number().int(), total: z.number().int() });
export type Progress = z.infer<typeof Progress>;

export const StepKind = z.enum(['plan', 'work', 'fix', 'review', 'test', 'merge']);
export type StepKind = z.infer<typeof StepKind>;
export const StepStatus = z.enum([
  'pending',
  'queued',
  'running',
  'waiting',
  'done',
  'failed',
  'dead',
  'cancelled',
  // Run again by a retry: an earlier attempt's row, kept as history.
  'superseded',
]);
export type StepStatus = z.infer<typeof StepStatus>;

/** One failed attempt of a step, or a lease that expired because its worker died. */
export const AttemptError = z.object({
  /** The claim it happened on (the step's attempt count at the time). */
  attempt: z.number().int(),
  /** The error's stable code; STEP_LEASE_EXPIRED when the step's worker died. */
  code: z.string(),
  message: z.string(),
  workerId: z.string().nullable(),
  at: Timestamp,
});
export type AttemptError = z.infer<typeof AttemptError>;

export const Step = z.object({
  id: Id,
  taskId: Id,
  key: z.string(),
  kind: StepKind,
  role: z.string(),
  goal: z.string(),
  acceptance: z.array(z.string()),
  dependsOn: z.array(z.string()),
  status: StepStatus,
  /** How many times a worker took the step. */
  attempts: z.number().int(),
  /** Attempts that failed; the step is dead-lettered when they reach maxAttempts. */
  failures: z.number().int(),
  maxAttempts: z.number().int(),
  /** Leases that expired because a worker died; these spend no attempt. */
  leaseExpiries: z.number().int(),
  maxLeaseExpiries: z.number().int(),
  /** Every failed attempt and expired lease, oldest first. */
  attemptErrors: z.array(AttemptError),
  round: z.number().int(),
  /** The task's attempt (1, then one more with each retry) that made this row. */
  attempt: z.number().int(),
  /** The agent's own summary of what it did, once the step is done. */
  summary: z.string().nullable(),
  result: z.unknown(),
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
