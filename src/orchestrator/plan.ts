// A plan is the planner's answer: a graph of steps, each for one role, with the steps it
// depends on. It is validated whole before anything runs; every problem is listed so that
// the planner can correct them all in one turn.
import { z } from 'zod';

export const PlanStep = z.strictObject({
  key: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'lowercase letters, digits and dashes, starting with a letter or digit',
    ),
  role: z.string().min(1),
  goal: z.string().min(1).max(4000),
  acceptance: z.array(z.string().min(1).max(1000)).max(20).default([]),
  dependsOn: z.array(z.string()).max(50).default([]),
});
export type PlanStep = z.infer<typeof PlanStep>;

export const Plan = z.strictObject({
  summary: z.string().max(4000).default(''),
  steps: z.array(PlanStep).min(1, 'a plan needs at least one step').max(100),
});
export type Plan = z.infer<typeof Plan>;

export type PlanValidation =
  { ok: true; plan: Plan; order: string[] } | { ok: false; problems: string[] };

/** Checks a proposed plan: its shape, unique keys, known roles, existing dependencies, no cycle. */
export function validatePlan(input: unknown, knownRoles: ReadonlySet<string>): PlanValidation {
  const parsed = Plan.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'plan'}: ${issue.message}`,
      ),
    };
  }
  const plan = parsed.data;
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const step of plan.steps) {
    if (keys.has(step.key)) problems.push(`step "${step.key}" appears twice; keys must be unique`);
    keys.add(step.key);
    if (!knownRoles.has(step.role)) {
      problems.push(
        `step "${step.key}": unknown role "${step.role}"; use one of ${[...knownRoles].sort().join(', ')}`,
      );
    }
  }
  for (const step of plan.steps) {
    for (const dependency of step.dependsOn) {
      if (dependency === step.key) problems.push(`step "${step.key}" depends on itself`);
      else if (!keys.has(dependency))
        problems.push(`step "${step.key}" depends on "${dependency}", which is not in the plan`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const order = topologicalOrder(plan.steps);
  if ('cycle' in order)
    return {
      ok: false,
      problems: [`the steps form a cycle: ${order.cycle.join(' → ')}; remove one dependency`],
    };
  return { ok: true, plan, order: order.keys };
}

/** Kahn's algorithm; on a cycle, returns one cycle's keys for the error message. */
function topologicalOrder(steps: readonly PlanStep[]): { keys: string[] } | { cycle: string[] } {
  const remaining = new Map(steps.map((step) => [step.key, new Set(step.dependsOn)]));
  const keys: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining]
      .filter(([, dependencies]) => dependencies.size === 0)
      .map(([key]) => key);
    if (ready.length === 0) return { cycle: findCycle(remaining) };
    for (const key of ready) {
      remaining.delete(key);
      keys.push(key);
      for (const dependencies of remaining.values()) dependencies.delete(key);
    }
  }
  return { keys };
}

function findCycle(graph: Map<string, Set<string>>): string[] {
  const start = graph.keys().next().value as string;
  const path: string[] = [];
  let current = start;
  while (!path.includes(current)) {
    path.push(current);
    current = graph.get(current)!.values().next().value as string;
  }
  return [...path.slice(path.indexOf(current)), current];
}
