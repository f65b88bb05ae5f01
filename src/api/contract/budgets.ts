// The HTTP contract of the organization's model budgets: a limit in dollars, tokens or both
// on the organization, a project or a task. Pure zod: the web app bundles it.
import { z } from 'zod';
import { Id } from './primitives.js';

export const BudgetScope = z.enum(['organization', 'project', 'task']);
export type BudgetScope = z.infer<typeof BudgetScope>;
export const BudgetPeriod = z.enum(['total', 'day', 'month']);
export type BudgetPeriod = z.infer<typeof BudgetPeriod>;

export const Budget = z.object({
  id: z.string(),
  scope: BudgetScope,
  scopeId: Id,
  period: BudgetPeriod,
  limitUsd: z.number().nullable(),
  limitTokens: z.number().int().nullable(),
});
export type Budget = z.infer<typeof Budget>;

export const BudgetList = z.object({ items: z.array(Budget) });

export const BudgetSet = z
  .strictObject({
    scope: BudgetScope,
    /** The project or task id; not needed for scope organization. */
    scopeId: Id.optional(),
    period: BudgetPeriod.default('total'),
    limitUsd: z.number().positive().max(10_000_000).nullable().optional(),
    limitTokens: z.number().int().positive().nullable().optional(),
  })
  .refine((value) => value.scope === 'organization' || value.scopeId, {
    message: 'give the project or task id',
    path: ['scopeId'],
  })
  .refine((value) => value.limitUsd != null || value.limitTokens != null, {
    message: 'give limitUsd, limitTokens or both',
    path: ['limitUsd'],
  });
export type BudgetSet = z.infer<typeof BudgetSet>;
