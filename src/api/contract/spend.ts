// The HTTP contract of the organization's model spend, per day, model, project or task.
// Pure zod: the web app bundles it.
import { z } from 'zod';
import { Id, Timestamp } from './primitives.js';

export const SpendQuery = z.strictObject({
  groupBy: z.enum(['day', 'model', 'project', 'task']).default('day'),
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  projectId: Id.optional(),
  taskId: Id.optional(),
});

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

export const SpendReport = z.object({
  groupBy: z.enum(['day', 'model', 'project', 'task']),
  items: z.array(SpendRow),
  totalUsd: z.number(),
});
export type SpendReport = z.infer<typeof SpendReport>;
