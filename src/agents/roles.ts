// Roles are data: a name, a description, a system prompt (personality and standards), the
// tools the role may use, a model policy for the router, a turn limit and a share of the
// task's budget. The built-in team is defined here; users add or override roles through
// the configuration and the API.
import { z } from 'zod';

export const toolNames = [
  'list_files',
  'read_file',
  'write_file',
  'edit_file',
  'search_code',
  'run_command',
  'run_tests',
  'git_status',
  'git_diff',
  'git_commit',
  'remember',
  'recall',
  'ask_role',
  'ask_human',
  'finish',
] as const;
export const ToolName = z.enum(toolNames);
export type ToolName = z.infer<typeof ToolName>;

export const ModelPolicy = z.strictObject({
  tier: z.enum(['fast', 'balanced', 'best']).default('balanced'),
  capabilities: z
    .array(z.enum(['tools', 'vision', 'structuredOutput', 'embeddings']))
    .default(['tools']),
  /** The most one model call of this role may cost, in USD. */
  maxCostUsd: z.number().positive().optional(),
  /** Pin a model id instead of letting the router choose. */
  model: z.string().min(1).optional(),
});
export type ModelPolicy = z.infer<typeof ModelPolicy>;

export const RoleDefinition = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,39}$/,
      'lowercase letters, digits and dashes, starting with a letter',
    ),
  description: z.string().min(1).max(500),
  systemPrompt: z.string().min(1).max(20_000),
  tools: z
    .array(ToolName)
    .min(1)
    .refine((tools) => tools.includes('finish'), 'every role needs the finish tool'),
  modelPolicy: ModelPolicy.default(ModelPolicy.parse({})),
  maxTurns: z.number().int().min(1).max(500).default(30),
  /** The share of the task's budget one step of this role may spend, from 0 to 1. */
  budgetShare: z.number().gt(0).max(1).default(0.25),
});
export type RoleDefinition = z.infer<typeof RoleDefinition>;

const standards = `Work in small, verifiable increments. Read before you write. Never invent files, APIs or
results: look them up with your tools. When you are done, call finish with a short, honest
summary; if you could not do the work, say so and why.`;

const readTools: ToolName[] = [
  'list_files',
  'read_file',
  'search_code',
  'git_status',
  'git_diff',
  'recall',
  'remember',
];

/** The team every organization starts with. */
export const builtInRoles: readonly RoleDefinition[] = [
  {
    name: 'planner',
    description: 'Turns a task into a graph of steps for the other roles.',
    systemPrompt: `You are the planner of a software team. Read the task and the repository, then break the work
into the fewest steps that can each be done and checked on their own. Give each step a role,
a concrete goal, acceptance criteria a reviewer can verify, and the keys of the steps it
depends on. Independent steps must not depend on each other, so that they run in parallel.
Finish with the plan as your result.\n\n${standards}`,
    tools: [...readTools, 'ask_human', 'finish'],
    modelPolicy: { tier: 'best', capabilities: ['tools', 'structuredOutput'] },
    maxTurns: 20,
    budgetShare: 0.1,
  },
  {
    name: 'architect',
    description: 'Designs the structure of a change before it is built.',
    systemPrompt: `You are the architect. Decide where the change belongs, which modules and interfaces it
touches, and what must not change. Prefer the simplest design that fits the code as it is.
Write your design down where the developers will find it, and keep it short.\n\n${standards}`,
    tools: [...readTools, 'write_file', 'edit_file', 'git_commit', 'ask_role', 'finish'],
    modelPolicy: { tier: 'best', capabilities: ['tools'] },
    maxTurns: 25,
    budgetShare: 0.15,
  },
  {
    name: 'developer',
    description: 'Writes the code and its tests.',
    systemPrompt: `You are a developer. Implement the step's goal in the workspace with clear, small code that
reads like the code around it, and tests that prove it works. Run the tests before you
finish; commit your work with a message that says what changed and why.\n\n${standards}`,
    tools: [
      ...readTools,
      'write_file',
      'edit_file',
      'run_command',
      'run_tests',
      'git_commit',
      'ask_role',
      'finish',
    ],
    modelPolicy: { tier: 'balanced', capabilities: ['tools'] },
    maxTurns: 40,
    budgetShare: 0.3,
  },
  {
    name: 'reviewer',
    description: 'Reviews the change against its goal and the project’s standards.',
    systemPrompt: `You are the reviewer. Read the diff against the step's goal and acceptance criteria. Approve
only what you would merge yourself: correct, tested, readable. When you reject, give concrete
feedback the developer can act on, file by file. Finish with { "approved": true|false,
"feedback": "…" }.\n\n${standards}`,
    tools: [...readTools, 'run_tests', 'ask_role', 'finish'],
    modelPolicy: { tier: 'best', capabilities: ['tools'] },
    maxTurns: 20,
    budgetShare: 0.1,
  },
  {
    name: 'tester',
    description: 'Runs and extends the tests, and reports what fails.',
    systemPrompt: `You are the tester. Run the project's tests in the sandbox, add the tests the acceptance
criteria call for, and report exactly what passes and what fails. Finish with
{ "passed": true|false, "report": "…" }.\n\n${standards}`,
    tools: [
      ...readTools,
      'write_file',
      'edit_file',
      'run_command',
      'run_tests',
      'git_commit',
      'finish',
    ],
    modelPolicy: { tier: 'balanced', capabilities: ['tools'] },
    maxTurns: 30,
    budgetShare: 0.15,
  },
  {
    name: 'devops',
    description: 'Builds, packages and deploys.',
    systemPrompt: `You are the devops engineer. Make the project build, package and deploy reproducibly: scripts,
container files, manifests and CI. Never run a command that reaches the network unless the
step allows it and a human approved it.\n\n${standards}`,
    tools: [
      ...readTools,
      'write_file',
      'edit_file',
      'run_command',
      'git_commit',
      'ask_human',
      'finish',
    ],
    modelPolicy: { tier: 'balanced', capabilities: ['tools'] },
    maxTurns: 30,
    budgetShare: 0.15,
  },
].map((role) => RoleDefinition.parse(role));

/** The effective roles: built-ins, overridden and extended by later layers, by name. */
export function mergeRoles(
  ...layers: ReadonlyArray<readonly RoleDefinition[]>
): Map<string, RoleDefinition> {
  const roles = new Map<string, RoleDefinition>();
  for (const layer of [builtInRoles, ...layers])
    for (const role of layer) roles.set(role.name, role);
  return roles;
}
