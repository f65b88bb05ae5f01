// The tools an agent may call. Each has an input schema (sent to the model as JSON Schema and
// used to check what the model sends back) and says whether it has side effects: a side
// effect must never happen twice, even when a step is resumed after a crash.
import { z } from 'zod';
import type { ToolName } from './roles.js';
import type { ToolHost } from './tool-host.js';

export interface ToolSpec<Input extends z.ZodType = z.ZodType> {
  description: string;
  input: Input;
  hasSideEffects: boolean;
  run(host: ToolHost, input: z.infer<Input>, call: { toolCallId: string }): Promise<unknown>;
}

const outputLimit = 16_000;

/** Cuts long text for the model, saying how much was left out. */
export function clip(text: string, limit = outputLimit): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}\n… [${text.length - limit} more characters cut]`;
}

const Path = z.string().min(1).max(1000).describe('a path relative to the repository root');
const define = <Input extends z.ZodType>(spec: ToolSpec<Input>) => spec as unknown as ToolSpec;

async function runClipped(host: ToolHost, argv: string[], toolCallId: string, timeoutMs: number) {
  const output = await host.run(argv, { timeoutMs, toolCallId });
  return { ...output, stdout: clip(output.stdout), stderr: clip(output.stderr, 4000) };
}

export const tools: Record<ToolName, ToolSpec> = {
  list_files: define({
    description: 'List the files and folders under a path of the repository.',
    input: z.object({ path: z.string().max(1000).default('.') }),
    hasSideEffects: false,
    run: (host, { path }) => host.listFiles(path),
  }),
  read_file: define({
    description: 'Read a text file of the repository.',
    input: z.object({ path: Path }),
    hasSideEffects: false,
    run: async (host, { path }) => clip(await host.readFile(path), 60_000),
  }),
  write_file: define({
    description: 'Create or overwrite a text file with the given content.',
    input: z.object({ path: Path, content: z.string().max(1_000_000) }),
    hasSideEffects: true,
    run: async (host, { path, content }) => {
      await host.writeFile(path, content);
      return `wrote ${content.length} characters to ${path}`;
    },
  }),
  edit_file: define({
    description: 'Replace one exact, unique piece of text in a file with another.',
    input: z.object({ path: Path, oldText: z.string().min(1), newText: z.string() }),
    hasSideEffects: true,
    run: async (host, { path, oldText, newText }) => {
      const text = await host.readFile(path);
      const count = text.split(oldText).length - 1;
      if (count !== 1)
        throw new Error(`oldText occurs ${count} times in ${path}; it must occur exactly once`);
      await host.writeFile(
        path,
        text.replace(oldText, () => newText),
      );
      return `edited ${path}`;
    },
  }),
  search_code: define({
    description:
      'Search the files of the repository (tracked and new, not ignored) for a regular expression, with line numbers.',
    input: z.object({ pattern: z.string().min(1).max(500), path: z.string().max(1000).optional() }),
    hasSideEffects: false,
    run: async (host, { pattern, path }) =>
      clip(await host.searchCode(pattern, path)) || 'no matches',
  }),
  run_command: define({
    description: 'Run a command (an argv array, no shell) in the repository, inside the sandbox.',
    input: z.object({
      argv: z.array(z.string()).min(1).max(200),
      timeoutSeconds: z.number().int().min(1).max(1800).default(120),
    }),
    hasSideEffects: true,
    run: (host, { argv, timeoutSeconds }, { toolCallId }) =>
      runClipped(host, argv, toolCallId, timeoutSeconds * 1000),
  }),
  run_tests: define({
    description: "Run the project's tests inside the sandbox.",
    input: z.object({}),
    hasSideEffects: true,
    run: async (host, _input, { toolCallId }) => {
      const command = await host.testCommand();
      if (!command)
        return 'No test command found: the project sets none, and the repository has no package.json "test" script, Makefile "test" target, pytest setup, go.mod or Cargo.toml. Add one of those, or ask for the project\'s test command to be set.';
      const output = await runClipped(host, command, toolCallId, 600_000);
      return { command, passed: output.exitCode === 0, ...output };
    },
  }),
  git_status: define({
    description: 'Show the working tree status.',
    input: z.object({}),
    hasSideEffects: false,
    run: (host) => host.gitStatus(),
  }),
  git_diff: define({
    description: 'Show the uncommitted changes, or the changes since a commit or branch.',
    input: z.object({
      since: z
        .string()
        .regex(/^[\w./~^@{}-]+$/, 'a commit, branch or relative revision such as HEAD~2')
        .refine((value) => !value.startsWith('-'), 'a revision, not an option')
        .optional(),
    }),
    hasSideEffects: false,
    run: async (host, { since }) => clip(await host.gitDiff(since)) || 'no changes',
  }),
  git_commit: define({
    description:
      'Commit every change in the repository with a message saying what changed and why.',
    input: z.object({ message: z.string().min(1).max(5000) }),
    hasSideEffects: true,
    run: async (host, { message }) => {
      const commit = await host.commit(message);
      return commit ? `committed ${commit}` : 'nothing to commit';
    },
  }),
  remember: define({
    description: 'Keep a fact for later steps and tasks of this project.',
    input: z.object({
      text: z.string().min(1).max(4000),
      tags: z.array(z.string().max(50)).max(10).default([]),
    }),
    hasSideEffects: true,
    run: async (host, { text, tags }) => {
      await host.remember(text, tags);
      return 'remembered';
    },
  }),
  recall: define({
    description: 'Find facts remembered earlier in this project.',
    input: z.object({
      query: z.string().min(1).max(500),
      limit: z.number().int().min(1).max(20).default(5),
    }),
    hasSideEffects: false,
    run: (host, { query, limit }) => host.recall(query, limit),
  }),
  ask_role: define({
    description: 'Ask another role of the team a question and get its answer.',
    input: z.object({ role: z.string().min(1), question: z.string().min(1).max(4000) }),
    hasSideEffects: true,
    run: (host, { role, question }) => host.askRole(role, question),
  }),
  ask_human: define({
    description: 'Ask a human for a decision or an approval; the step waits for the answer.',
    input: z.object({ question: z.string().min(1).max(4000) }),
    // Asking again with the same call id returns the decision instead of asking twice.
    hasSideEffects: false,
    run: (host, { question }, { toolCallId }) => host.askHuman(question, toolCallId),
  }),
  finish: define({
    description:
      'End the step with a short summary and, when the step asks for one, a structured result.',
    input: z.object({ summary: z.string().min(1).max(10_000), result: z.unknown().optional() }),
    hasSideEffects: false,
    run: async (_host, input) => input,
  }),
};
