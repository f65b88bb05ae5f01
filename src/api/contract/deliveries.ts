// Where a task's result went, as the API shows it. Pure zod: the web app bundles it.
import { z } from 'zod';

/** A task's delivery: Cadre's own repository (with its clone URL), a pushed branch, or a PR. */
export const TaskDelivery = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('local'),
    /** Cadre's repository of the project over git smart HTTP (an API key is the password). */
    cloneUrl: z.string(),
    branch: z.string(),
    commit: z.string(),
  }),
  z.object({
    mode: z.literal('push'),
    remoteUrl: z.string(),
    branch: z.string(),
    commit: z.string(),
  }),
  z.object({
    mode: z.literal('pull-request'),
    url: z.string(),
    number: z.number().int(),
    branch: z.string(),
    commit: z.string(),
    state: z.enum(['open', 'closed', 'merged']),
  }),
]);
export type TaskDelivery = z.infer<typeof TaskDelivery>;

/** One line saying where a task's result went, for the CLI and the web app. */
export function describeDelivery(delivery: TaskDelivery): string {
  const at = `${delivery.branch} at ${delivery.commit.slice(0, 12)}`;
  if (delivery.mode === 'local') return `${delivery.cloneUrl} (branch ${at})`;
  if (delivery.mode === 'push') return `pushed to ${delivery.remoteUrl} (branch ${at})`;
  return `pull request #${delivery.number} (${delivery.state}): ${delivery.url} (branch ${at})`;
}
