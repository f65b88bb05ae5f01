// The tool host of one step: the agent's tools acting on the step's worktree through the
// workspace service, its sandbox, the project's memory, the team and the humans.
import { and, eq } from 'drizzle-orm';
import {
  runAgent,
  StepSuspended,
  type RoleDefinition,
  type ToolHost,
  type TranscriptEntry,
} from '../agents/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { Gateway } from '../llm/index.js';
import { recall, remember } from '../memory/index.js';
import { collectRun } from '../sandbox/index.js';
import {
  configuredTestCommand,
  detectTestCommand,
  type TaskRef,
  type Workspaces,
} from '../workspace/index.js';

export interface StepHostOptions {
  db: Db;
  workspaces: Workspaces;
  gateway: Pick<Gateway, 'generate'>;
  worktree: TaskRef;
  step: { id: string; orgId: string; taskId: string; projectId: string; role: string };
  hasNetwork: boolean;
  /** The project's test command setting (null: detect it from the worktree's files). */
  testCommand: string | null;
  /** Whether a human must approve each command before it runs with network access. */
  approveNetworkCommands: boolean;
  roles: ReadonlyMap<string, RoleDefinition>;
  signal: AbortSignal;
}

/** Tools a role may use to answer another role's question: looking, not changing. */
const answeringTools = [
  'list_files',
  'read_file',
  'search_code',
  'git_diff',
  'recall',
  'finish',
] as const;

/** The tool host for one step's agent. */
export function createStepHost(options: StepHostOptions): ToolHost {
  const { db, workspaces, worktree, step, signal } = options;
  const scope = { orgId: step.orgId, projectId: step.projectId };

  const host: ToolHost = {
    listFiles: async (path) =>
      (await workspaces.listFiles(worktree, path)).map((entry) => ({ ...entry })),
    readFile: (path) => workspaces.readFile(worktree, path),
    writeFile: (path, content) => workspaces.writeFile(worktree, path, content),
    async run(argv, { timeoutMs, toolCallId }) {
      if (options.hasNetwork && options.approveNetworkCommands) {
        const question = `Run with network access: ${argv.join(' ')}`;
        const decision = await decide(db, step, { kind: 'network', question, toolCallId });
        if (decision.status === 'rejected') {
          const reason = decision.answer ? `: ${decision.answer}` : '.';
          return {
            exitCode: null,
            stdout: '',
            stderr: `A human refused this command${reason}`,
            isTimedOut: false,
          };
        }
      }
      const handle = await workspaces.runInTask({
        ...worktree,
        orgId: step.orgId,
        stepId: step.id,
        argv,
        limits: { timeoutMs },
        hasNetwork: options.hasNetwork,
        signal,
      });
      const run = await collectRun(handle);
      return {
        exitCode: run.exitCode,
        stdout: run.stdout,
        stderr: run.stderr,
        isTimedOut: run.isTimedOut,
      };
    },
    testCommand: () => stepTestCommand(workspaces, worktree, options.testCommand),
    commit: (message) => workspaces.commit(worktree, message),
    gitStatus: () => workspaces.status(worktree),
    gitDiff: (since) => workspaces.diffSince(worktree, since),
    searchCode: (pattern, path) => workspaces.search(worktree, pattern, path),
    remember: (text, tags) => remember(db, scope, text, tags),
    recall: (query, limit) => recall(db, scope, query, limit),
    askRole: (role, question) => askRole(options, host, role, question),
    askHuman: async (question, toolCallId) => {
      const decision = await decide(db, step, { kind: 'question', question, toolCallId });
      return `${decision.status}${decision.answer ? `: ${decision.answer}` : ''}`;
    },
  };
  return host;
}

/**
 * The command `run_tests` runs: the project's own setting, else what the step's worktree
 * holds, detected as Cadre's test run before a merge detects it (verify-merge.ts), so that a
 * role runs the tests that will decide the merge.
 */
async function stepTestCommand(
  workspaces: Workspaces,
  worktree: TaskRef,
  projectCommand: string | null,
): Promise<string[] | null> {
  if (projectCommand) return configuredTestCommand(projectCommand).argv;
  const command = await detectTestCommand({
    readFile: (path) => workspaces.readFile(worktree, path).catch(() => null),
    listFolder: async (folder) => {
      const entries = await workspaces.listFiles(worktree, folder).catch(() => []);
      // Direct children only, by name, as a checkout's reader lists them.
      return entries
        .map((entry) =>
          entry.path.startsWith(`${folder}/`) ? entry.path.slice(folder.length + 1) : entry.path,
        )
        .filter((name) => !name.includes('/'));
    },
  });
  return command?.argv ?? null;
}

/** Another role answers a question, with tools that look but do not change anything. */
async function askRole(
  options: StepHostOptions,
  host: ToolHost,
  roleName: string,
  question: string,
): Promise<string> {
  const role = options.roles.get(roleName);
  if (!role)
    throw new CadreError(
      'NOT_FOUND',
      `No role "${roleName}"; ask one of ${[...options.roles.keys()].join(', ')}.`,
    );
  // The answer is one tool result of the asking agent; its own turns need no durability.
  const transcript: TranscriptEntry[] = [];
  const outcome = await runAgent({
    gateway: options.gateway,
    role: {
      ...role,
      tools: role.tools
        .filter((tool) => (answeringTools as readonly string[]).includes(tool))
        .concat('finish'),
      maxTurns: 10,
    },
    prompt: `The ${options.step.role} of this task asks you:\n\n${question}\n\nLook at the code if you need to, then finish with your answer as the summary.`,
    context: {
      orgId: options.step.orgId,
      projectId: options.step.projectId,
      taskId: options.step.taskId,
      stepId: options.step.id,
    },
    host,
    checkpoints: {
      load: async () => [...transcript],
      append: async (entry) => void transcript.push(entry),
    },
    signal: options.signal,
  });
  return outcome.summary;
}

/** A human's decision on this call, or the question recorded and the step parked. */
async function decide(
  db: Db,
  step: StepHostOptions['step'],
  request: { kind: 'question' | 'network'; question: string; toolCallId: string },
): Promise<{ status: string; answer: string | null }> {
  const [existing] = await db
    .select()
    .from(tables.approvals)
    .where(
      and(
        eq(tables.approvals.stepId, step.id),
        eq(tables.approvals.toolCallId, request.toolCallId),
      ),
    );
  if (existing && existing.status !== 'pending') return existing;
  if (!existing) {
    await db
      .insert(tables.approvals)
      .values({ orgId: step.orgId, taskId: step.taskId, stepId: step.id, ...request })
      .onConflictDoNothing();
  }
  throw new StepSuspended(`waiting for a human: ${request.question}`);
}
