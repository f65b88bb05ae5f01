// What a step's agent is told: the task, its own goal and criteria, and for the planner the
// team it can plan for and the exact shape of a plan.
import type { RoleDefinition } from '../agents/index.js';

export interface PromptInput {
  task: { title: string; description: string };
  step: { key: string; kind: string; role: string; goal: string; acceptance: unknown };
  roles: ReadonlyMap<string, RoleDefinition>;
}

/** The first user message of a step's agent. */
export function stepPrompt({ task, step, roles }: PromptInput): string {
  const criteria =
    Array.isArray(step.acceptance) && step.acceptance.length > 0
      ? `\n\nAcceptance criteria:\n${step.acceptance.map((item) => `- ${String(item)}`).join('\n')}`
      : '';
  const lines = [
    `Task: ${task.title}\n\n${task.description}`,
    `Your step (${step.key}, as ${step.role}):\n${step.goal}${criteria}`,
  ];
  if (step.kind === 'plan') lines.push(planInstructions(roles));
  if (step.kind === 'review')
    lines.push(
      'Finish with result = { "approved": true|false, "feedback": "what must change, file by file" }.',
    );
  if (step.kind === 'test')
    lines.push(
      'Finish with result = { "passed": true|false, "report": "what ran, what passed, what failed" }.',
    );
  return lines.join('\n\n');
}

function planInstructions(roles: ReadonlyMap<string, RoleDefinition>): string {
  const team = [...roles.values()]
    .filter((role) => role.name !== 'planner')
    .map((role) => `- ${role.name}: ${role.description}`)
    .join('\n');
  return `The team:\n${team}\n\nFinish with result = { "summary": "…", "steps": [{ "key": "short-key", "role": "<a role above>", "goal": "…", "acceptance": ["…"], "dependsOn": ["<keys of earlier steps>"] }] }. Keys are lowercase letters, digits and dashes. Steps that do not depend on each other run in parallel. Reviews and tests of the whole task are added after your steps; do not plan them.`;
}
