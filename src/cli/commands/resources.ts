// `cadre project …` and `cadre task …`: the resource commands, through the HTTP API.
import { readFileSync } from 'node:fs';
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

/** Where a project's code comes from and goes to, as `project create` and `update` take it. */
export interface RemoteOptions {
  branch?: string;
  /** The environment variable that holds the upstream's HTTPS token (never the token itself). */
  tokenEnv?: string;
  /** Read the token from standard input. */
  tokenStdin?: boolean;
  username?: string;
  sshKeyFile?: string;
  delivery?: string;
  pushBranch?: string;
  hostKind?: string;
  hostApiUrl?: string;
  hostRepository?: string;
  hostTokenEnv?: string;
}

/** Reads a secret from the named environment variable; a token never comes from argv. */
function secretFromEnv(variable: string, option: string): string {
  const value = process.env[variable];
  if (!value) {
    throw new CliError(
      `${option}: the environment variable ${variable} is not set or empty; export the token in it first.`,
      exitCodes.usage,
    );
  }
  return value;
}

/** The credential the options name, read from its env variable, standard input or file. */
function credentialFrom(options: RemoteOptions) {
  const given = [options.tokenEnv, options.tokenStdin, options.sshKeyFile].filter(Boolean);
  if (given.length > 1) {
    throw new CliError(
      'Give one of --token-env, --token-stdin and --ssh-key-file.',
      exitCodes.usage,
    );
  }
  if (options.sshKeyFile) {
    try {
      return { sshKey: readFileSync(options.sshKeyFile, 'utf8') };
    } catch {
      throw new CliError(`--ssh-key-file: cannot read ${options.sshKeyFile}.`, exitCodes.usage);
    }
  }
  const token = options.tokenEnv
    ? secretFromEnv(options.tokenEnv, '--token-env')
    : options.tokenStdin
      ? readFileSync(0, 'utf8').trim()
      : undefined;
  if (token === undefined) return undefined;
  return { token, ...(options.username ? { username: options.username } : {}) };
}

function deliveryFrom(options: RemoteOptions) {
  return {
    deliveryMode: options.delivery,
    pushBranch: options.pushBranch,
    hostKind: options.hostKind,
    hostApiUrl: options.hostApiUrl,
    hostRepository: options.hostRepository,
    hostToken: options.hostTokenEnv
      ? secretFromEnv(options.hostTokenEnv, '--host-token-env')
      : undefined,
  };
}

export async function projectCreate(
  client: ApiClient,
  name: string,
  options: OutputOptions &
    VerifyOptions &
    RemoteOptions & { description?: string; confidential?: boolean; repo?: string; path?: string },
) {
  if (options.repo && options.path) {
    throw new CliError('Give --repo or --path, not both.', exitCodes.usage);
  }
  const repository = options.repo
    ? { url: options.repo }
    : options.path
      ? { path: options.path }
      : undefined;
  const project = await client.request(Project, 'POST', '/api/projects', {
    name,
    description: options.description,
    isConfidential: options.confidential ?? false,
    testCommand: options.testCommand,
    allowUntestedMerge: options.allowUntestedMerge,
    repository,
    branch: options.branch,
    credential: credentialFrom(options),
    ...deliveryFrom(options),
  });
  print(project, options, () =>
    [
      `Created project ${project.name} (${project.id})`,
      ...(project.remoteUrl ? [`  from ${project.remoteUrl} (${project.remoteBranch})`] : []),
    ].join('\n'),
  );
}

/** Changes a project's name, description, verification, upstream branch, credential or delivery. */
export async function projectUpdate(
  client: ApiClient,
  reference: string,
  options: OutputOptions & VerifyOptions & RemoteOptions & { description?: string; name?: string },
) {
  if (options.testCommand !== undefined && options.detectTestCommand) {
    throw new CliError('Give --test-command or --detect-test-command, not both.', exitCodes.usage);
  }
  const changes = {
    name: options.name,
    description: options.description,
    testCommand: options.detectTestCommand ? null : options.testCommand,
    allowUntestedMerge: options.allowUntestedMerge,
    remoteBranch: options.branch,
    credential: credentialFrom(options),
    ...deliveryFrom(options),
  };
  if (Object.values(changes).every((value) => value === undefined)) {
    throw new CliError(
      'Nothing to change: give --name, --description, --test-command, --detect-test-command, --[no-]allow-untested-merge, --branch, --token-env, --ssh-key-file, --delivery or a --host-* option.',
      exitCodes.usage,
    );
  }
  const id = await resolveProject(client, reference);
  const project = await client.request(Project, 'PATCH', `/api/projects/${id}`, changes);
  print(project, options, () => {
    const command = project.testCommand ?? 'detected from the repository';
    return `Updated project ${project.name} (${project.id}): tests run with ${command}${project.allowUntestedMerge ? '; merges without a test command are allowed' : ''}; delivery ${project.deliveryMode}`;
  });
}

/** Prints one project: its upstream, branch, delivery mode and host (never a secret). */
export async function projectShow(client: ApiClient, reference: string, options: OutputOptions) {
  const id = await resolveProject(client, reference);
  const project = await client.request(Project, 'GET', `/api/projects/${id}`);
  print(project, options, () =>
    [
      `${project.name} (${project.id})`,
      `  description  ${project.description || '-'}`,
      `  remote       ${project.remoteUrl ?? 'none (Cadre holds the only repository)'}`,
      `  branch       ${project.remoteBranch ?? '-'}`,
      `  delivery     ${project.deliveryMode}${project.pushBranch ? ` (to ${project.pushBranch})` : ''}`,
      `  host         ${project.hostKind ? `${project.hostKind} ${project.hostRepository ?? ''} at ${project.hostApiUrl ?? '?'}` : '-'}`,
      `  secrets      ${project.secretKinds.join(', ') || 'none'}`,
      `  tests        ${project.testCommand ?? 'detected from the repository'}`,
    ].join('\n'),
  );
}

export async function projectList(client: ApiClient, options: OutputOptions) {
  const { items } = await client.request(ProjectList, 'GET', '/api/projects');
  print(items, options, () =>
    items.length === 0
      ? 'No projects yet. Create one with: cadre project create <name>'
      : table([
          ['ID', 'NAME', 'REMOTE', 'DELIVERY', 'CONFIDENTIAL', 'CREATED'],
          ...items.map((p) => [
            p.id,
            p.name,
            p.remoteUrl ?? '-',
            p.deliveryMode,
            p.isConfidential ? 'yes' : 'no',
            p.createdAt,
          ]),
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
