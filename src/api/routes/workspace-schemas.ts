// The HTTP contract of workspaces, runs and terminals: one zod schema per concept.
import { z } from 'zod';
import { Id, Timestamp } from '../schemas.js';

export const ProjectParams = z.strictObject({ projectId: Id });
export const TaskParams = z.strictObject({ projectId: Id, taskId: Id });
export const TerminalParams = TaskParams.extend({ terminalId: Id });

const BranchName = z.string().min(1).max(200);

export const RepositorySource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('empty') }),
  z.strictObject({ type: z.literal('path'), path: z.string().min(1).max(4096) }),
  z.strictObject({ type: z.literal('url'), url: z.string().min(1).max(4096) }),
]);

export const RepositoryCreate = z.strictObject({
  source: RepositorySource.default({ type: 'empty' }),
  baseBranch: BranchName.optional(),
});

export const Repository = z.object({
  baseBranch: z.string(),
  head: z.string(),
  branches: z.array(z.string()),
});

export const WorktreeCreate = z.strictObject({ baseBranch: BranchName.optional() });

export const Worktree = z.object({ taskId: Id, branch: z.string(), baseBranch: z.string() });

/** Whether the task has a worktree now, and which, so that a client need not provoke a 404. */
export const WorktreeState = z.object({
  taskId: Id,
  exists: z.boolean(),
  branch: z.string().nullable(),
  baseBranch: z.string().nullable(),
});

export const FileEntry = z.object({
  path: z.string(),
  type: z.enum(['file', 'directory', 'symlink']),
  size: z.number(),
});

export const PathQuery = z.strictObject({ path: z.string().max(4096).default('') });
export const FileQuery = z.strictObject({ path: z.string().min(1).max(4096) });
export const FileContent = z.object({ path: z.string(), content: z.string() });
export const FileWrite = z.strictObject({ path: z.string().min(1).max(4096), content: z.string() });

export const Diff = z.object({
  baseBranch: z.string(),
  branch: z.string(),
  mergeBase: z.string(),
  files: z.array(
    z.object({
      path: z.string(),
      status: z.enum(['added', 'modified', 'deleted', 'renamed', 'changed']),
    }),
  ),
  patch: z.string(),
});
export type Diff = z.infer<typeof Diff>;

export const MergeRequest = z.strictObject({ message: z.string().min(1).max(2000).optional() });

export const Merge = z.object({
  baseBranch: z.string(),
  branch: z.string(),
  commit: z.string(),
  isFastForward: z.boolean(),
  isAlreadyMerged: z.boolean(),
});

export const RunRequest = z.strictObject({
  argv: z.array(z.string().max(100_000)).min(1).max(1000),
  stdin: z.string().max(1_000_000).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
  cwd: z.string().max(4096).optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  stepId: Id.optional(),
});

export const Usage = z.object({
  wallMs: z.number(),
  cpuMs: z.number().nullable(),
  peakMemoryBytes: z.number().nullable(),
});

export const RunOutcome = z.object({
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  isTimedOut: z.boolean(),
  isOutputTruncated: z.boolean(),
  stdout: z.string(),
  stderr: z.string(),
  usage: Usage,
});

export const RunRow = z.object({
  id: Id,
  stepId: Id.nullable(),
  executor: z.string(),
  command: z.array(z.string()),
  exitCode: z.number().nullable(),
  isTimedOut: z.boolean(),
  usage: Usage,
  startedAt: Timestamp,
});

export const TerminalCreate = z.strictObject({
  cols: z.number().int().min(1).max(1000).default(80),
  rows: z.number().int().min(1).max(1000).default(24),
});

export const TerminalResize = z.strictObject({
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});

export const TerminalInfo = z.object({
  id: Id,
  cols: z.number(),
  rows: z.number(),
  createdAt: Timestamp,
  exitCode: z.number().nullable(),
  isRunning: z.boolean(),
});
