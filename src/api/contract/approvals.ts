// The HTTP contract of the human gates of tasks (a held merge, an agent's question, a command
// that needs the network) and their decisions. Pure zod: the web app bundles it.
import { z } from 'zod';
import { Id, Timestamp } from './primitives.js';

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected']);

export const Approval = z.object({
  id: Id,
  taskId: Id,
  stepId: Id.nullable(),
  kind: z.enum(['question', 'merge', 'network']),
  question: z.string(),
  status: ApprovalStatus,
  answer: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type Approval = z.infer<typeof Approval>;

export const ApprovalList = z.object({ items: z.array(Approval) });

export const ApprovalQuery = z.strictObject({
  taskId: Id.optional(),
  status: ApprovalStatus.optional(),
});

export const ApprovalDecision = z
  .strictObject({
    /** An answer to the agent's question, or the reason for the decision. */
    answer: z.string().trim().min(1, 'must not be empty').max(10_000).optional(),
  })
  // No body at all is a decision without an answer.
  .nullish();
