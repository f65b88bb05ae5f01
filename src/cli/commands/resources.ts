// `cadre project …` and `cadre task …`: the resource commands, through the HTTP API.
import { z } from 'zod';
import { describeDelivery, Project, Task, TaskPage } from '../../api/index.js';
import type { ApiClient } from '../api-client.js';
import { CliError, exitCodes } from '../exit-codes.js';

const ProjectList = z.object({ items: z.array(Project) });
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OutputOptions {
  json?: boolean;
}

function print(value: unknown, options: OutputOptions, human: () => string) {
  process.stdout.write((options.json ? JSON.stringify(value, null, 2) : human()) + '\n');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The verification settings of `project create` and `project update`. */
export interface VerifyOptions {
  testCommand?: string;
  detectTestCommand?: boolean;
  allowUntestedMerge?: boolean;
}

export async function projectCreate(
  client: ApiClient,
  name: string,
  options: OutputOptions & VerifyOptions & { description?: string; confidential?: boolean },
) {
  const project = await client.request(Project, 'POST', '/api/projects', {
    name,
    description: options.description,
    isConfidential: options.confidential ?? false,
    testCommand: options.testCommand,
    allowUntestedMerge: options.allowUntestedMerge,
  });
  print(project, options, () => `Created project ${project.name} (${project.id})`);
}

/** Changes a project's description or how its merges are verified. */
export async function projectUpdate(
  client: ApiClient,
  reference: string,
  options: OutputOptions & VerifyOptions & { description?: string },
) {
  if (options.testCommand !== undefined && options.detectTestCommand) {
    throw new CliError('Give --test-command or --detect-test-command, not both.', exitCodes.usage);
  }
  const changes = {
    description: options.description,
    testCommand: options.detectTestCommand ? null : options.testCommand,
    allowUntestedMerge: options.allowUntestedMerge,
  };
  if (Object.values(changes).every((value) => value === undefined)) {
    throw new CliError(
      'Nothing to change: give --description, --test-command, --detect-test-command or --[no-]allow-untested-merge.',
      exitCodes.usage,
    );
  }
  const id = await resolveProject(client, reference);
  const project = await client.request(Project, 'PATCH', `/api/projects/${id}`, changes);
  print(project, options, () => {
    const command = project.testCommand ?? 'detected from the repository';
    return `Updated project ${project.name} (${project.id}): tests run with ${command}${project.allowUntestedMerge ? '; merges without a test command are allowed' : ''}`;
  });
}

export async function projectList(client: ApiClient, options: OutputOptions) {
  const { items } = await client.request(ProjectList, 'GET', '/api/projects');
  print(items, options, () =>
    items.length === 0
      ? 'No projects yet. Create one with: cadre project create <name>'
      : table([
          ['ID', 'NAME', 'CONFIDENTIAL', 'CREATED'],
          ...items.map((p) => [p.id, p.name, p.isConfidential ? 'yes' : 'no', p.createdAt]),
        ]),
  );
}

/** A project's id from its id or its name. */
export async function resolveProject(client: ApiClient, reference: string): Promise<string> {
  if (uuidPattern.test(reference)) return reference;
  const { items } = await client.request(ProjectList, 'GET', '/api/projects');
  const match = items.find((project) => project.name === reference);
  if (!match) {
    throw new CliError(
      `No project named "${reference}". List them with: cadre project list`,
      exitCodes.failed,
    );
  }
  return match.id;
}

export async function taskCreate(
  client: ApiClient,
  description: string,
  options: OutputOptions & { project: string; title?: string; priority?: string; budget?: string },
) {
  const task = await client.request(Task, 'POST', '/api/tasks', {
    projectId: await resolveProject(client, options.project),
    description,
    title: options.title,
    priority: options.priority === undefined ? undefined : Number(options.priority),
    budgetUsd: options.budget === undefined ? undefined : Number(options.budget),
  });
  print(task, options, () => `Created task ${task.id}: ${task.title} [${task.status}]`);
}

export async function taskList(
  client: ApiClient,
  options: OutputOptions & { project?: string; status?: string; limit?: string; cursor?: string },
) {
  const query = new URLSearchParams();
  if (options.project) query.set('projectId', await resolveProject(client, options.project));
  if (options.status) query.set('status', options.status);
  if (options.limit) query.set('limit', options.limit);
  if (options.cursor) query.set('cursor', options.cursor);
  const page = await client.request(TaskPage, 'GET', `/api/tasks?${query}`);
  print(page, options, () => {
    if (page.items.length === 0)
      return 'No tasks. Create one with: cadre task create "<what to do>" --project <name>';
    const rows = table([
      ['ID', 'STATUS', 'TITLE', 'CREATED'],
      ...page.items.map((t) => [t.id, t.status, t.title, t.createdAt]),
    ]);
    return page.nextCursor ? `${rows}\nMore: cadre task list --cursor ${page.nextCursor}` : rows;
  });
}

export async function taskShow(client: ApiClient, id: string, options: OutputOptions) {
  const task = await client.request(Task, 'GET', `/api/tasks/${encodeURIComponent(id)}`);
  print(task, options, () =>
    [
      `${task.title}`,
      `  id        ${task.id}`,
      `  status    ${task.status}`,
      `  project   ${task.projectId}`,
      `  priority  ${task.priority}`,
      `  budget    ${task.budgetUsd === null ? 'none' : `$${task.budgetUsd}`}`,
      `  created   ${task.createdAt}`,
      ...(task.error ? [`  error     ${task.error}`] : []),
      '',
      ...resultLines(task.delivery),
      '',
      task.description,
    ].join('\n'),
  );
}

/** Where the task's result went, and for Cadre's own repository how to get it. */
function resultLines(delivery: Task['delivery']): string[] {
  if (!delivery) return ['Result: not delivered yet'];
  const lines = [`Result: ${describeDelivery(delivery)}`];
  if (delivery.mode === 'local') {
    lines.push(
      `  git clone --branch ${delivery.branch} ${delivery.cloneUrl}`,
      '  (use an API key with projects:read as the password)',
    );
  }
  return lines;
}
