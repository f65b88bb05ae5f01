// The workspace service: one object that the API and the agent runtime use for a project's
// repository, its tasks' worktrees, their files, diffs and merges, and commands run in a
// worktree through the sandbox. Git operations on one project run one at a time.
import { CadreError } from '../errors/index.js';
import type { ExecutorName, RunHandle, RunOptions, RunResult, Sandbox } from '../sandbox/index.js';
import { commitTaskChanges, diffTask, diffTaskBranch, type TaskDiff } from './changes.js';
import {
  ignorePartialWrites,
  listFiles,
  listFolderNames,
  readWorkspaceFile,
  writeWorkspaceFile,
  type FileEntry,
} from './files.js';
import { projectLayout } from './layout.js';
import { diffSince, searchWorktree, statusOf } from './inspect.js';
import { createCheckout, removeCheckout } from './checkouts.js';
import {
  absorbMerge,
  applyMerge,
  mergeTask,
  planMerge,
  type MergeCandidate,
  type MergeResult,
} from './merge.js';
import type { TreeReader } from './test-command.js';
import {
  createRepository,
  getRepositoryInfo,
  type ImportPolicy,
  type RepositoryInfo,
  type RepositorySource,
} from './repository.js';
import {
  createTaskWorktree,
  getTaskBranch,
  getTaskWorktree,
  removeTaskWorktree,
  type TaskWorktree,
} from './worktrees.js';

export interface WorkspacesOptions {
  /** Cadre's data folder; workspaces live in <dataDir>/workspaces/<projectId>/. */
  dataDir: string;
  /** Needed only for runInTask. */
  sandbox?: Sandbox;
  now?: () => Date;
  /** Where repositories may be imported from; without it only public git URLs are. */
  imports?: Omit<ImportPolicy, 'dataDir'>;
  /** Called with every finished run, to record its resource use (the recorder logs its own failures). */
  recordRun?: (record: RunRecord) => Promise<void>;
}

/** A finished run, for accounting. */
export interface RunRecord {
  orgId?: string;
  projectId: string;
  taskId: string;
  stepId?: string;
  executor: ExecutorName;
  argv: readonly string[];
  startedAt: Date;
  result: RunResult;
}

/** Names a task's worktree. */
export interface TaskRef {
  projectId: string;
  taskId: string;
}

/** Options of a command run in a task's worktree. */
export type TaskRunOptions = TaskRef &
  Omit<RunOptions, 'workspace'> & {
    /** The organization and step the run is accounted to. */
    orgId?: string;
    stepId?: string;
  };

/** A throwaway checkout of one commit, while `withCheckout` runs. */
export interface CheckoutView {
  /** Reads the checked-out files, confined as the file API is. */
  tree: TreeReader;
  /** Runs a command in the checkout, inside the sandbox, accounted as runInTask is. */
  run(options: Omit<TaskRunOptions, 'projectId' | 'taskId'>): Promise<RunHandle>;
}

/** The workspace operations, bound to one data folder. */
export interface Workspaces {
  createRepository(
    projectId: string,
    source: RepositorySource,
    baseBranch?: string,
  ): Promise<RepositoryInfo>;
  getRepository(projectId: string): Promise<RepositoryInfo>;
  createTaskWorktree(task: TaskRef, baseBranch?: string): Promise<TaskWorktree>;
  getTaskWorktree(task: TaskRef): Promise<TaskWorktree>;
  removeTaskWorktree(task: TaskRef): Promise<void>;
  listFiles(task: TaskRef, path?: string): Promise<FileEntry[]>;
  readFile(task: TaskRef, path: string): Promise<string>;
  writeFile(task: TaskRef, path: string, content: string): Promise<void>;
  commit(task: TaskRef, message: string): Promise<string | null>;
  /**
   * The task's changes against its base, still shown once it is merged; from its branch alone
   * (committed work only) when its worktree was removed.
   */
  diff(task: TaskRef): Promise<TaskDiff>;
  /** `git status` of the task's worktree. */
  status(task: TaskRef): Promise<string>;
  /** The task's changes since a revision (HEAD when absent), as a unified diff. */
  diffSince(task: TaskRef, since?: string): Promise<string>;
  /** Lines of the task's files (tracked and new, not ignored) matching an extended regular expression. */
  search(task: TaskRef, pattern: string, path?: string): Promise<string>;
  merge(task: TaskRef, message?: string): Promise<MergeResult>;
  /** Commits the task's work and makes the commit its base would get, moving nothing. */
  planMerge(task: TaskRef, message?: string): Promise<MergeCandidate>;
  /** Moves the base to a planned commit; CONFLICT when either branch moved since. */
  applyMerge(task: TaskRef, candidate: MergeCandidate): Promise<MergeResult>;
  /** Fast-forwards the task's branch to a planned merge commit, bringing its base's changes in. */
  absorbMerge(task: TaskRef, candidate: MergeCandidate): Promise<void>;
  /**
   * Checks `commit` out in a throwaway folder named `name` (a step's id, so that a re-run
   * replaces what an interrupted one left), hands it to `work`, and removes it after.
   */
  withCheckout<T>(
    task: TaskRef & { name: string; commit: string },
    work: (checkout: CheckoutView) => Promise<T>,
  ): Promise<T>;
  /** Runs a command in the task's worktree, inside the sandbox. */
  runInTask(options: TaskRunOptions): Promise<RunHandle>;
}

/** Creates the workspace service. */
export function createWorkspaces(options: WorkspacesOptions): Workspaces {
  const { dataDir, now = () => new Date() } = options;
  const locks = new Map<string, Promise<unknown>>();
  // Serializes git work on one project: git's own locks would fail a concurrent caller.
  const serial = <T>(projectId: string, work: () => Promise<T>): Promise<T> => {
    const previous = locks.get(projectId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    locks.set(projectId, settled);
    void settled.then(() => {
      if (locks.get(projectId) === settled) locks.delete(projectId);
    });
    return next;
  };
  const layout = (projectId: string) => projectLayout(dataDir, projectId);
  const worktree = (task: TaskRef) => getTaskWorktree(layout(task.projectId), task.taskId);
  /** The task's worktree, its repository told to ignore interrupted writes, for committing. */
  const committable = async (task: TaskRef) => {
    await ignorePartialWrites(layout(task.projectId).gitDir);
    return worktree(task);
  };
  /** Runs a command with `path` mounted as the workspace, and records the run when asked to. */
  async function runAt(path: string, { projectId, taskId, orgId, stepId, ...run }: TaskRunOptions) {
    const { sandbox, recordRun } = options;
    if (!sandbox) {
      throw new CadreError(
        'SANDBOX_UNAVAILABLE',
        'No sandbox was given to the workspaces; commands cannot run.',
      );
    }
    const startedAt = now();
    const handle = sandbox.run({ ...run, workspace: path });
    if (!recordRun) return handle;
    const result = handle.result.then(async (finished) => {
      const record = { orgId, projectId, taskId, stepId, startedAt, result: finished };
      await recordRun({ ...record, executor: sandbox.executor, argv: run.argv }).catch(
        () => undefined,
      );
      return finished;
    });
    return { ...handle, result };
  }

  return {
    createRepository: (projectId, source, baseBranch) =>
      serial(projectId, () =>
        createRepository({
          layout: layout(projectId),
          source,
          baseBranch,
          imports: { ...options.imports, dataDir },
        }),
      ),
    getRepository: (projectId) => getRepositoryInfo(layout(projectId)),
    createTaskWorktree: (task, baseBranch) =>
      serial(task.projectId, () =>
        createTaskWorktree(layout(task.projectId), task.taskId, baseBranch),
      ),
    getTaskWorktree: worktree,
    removeTaskWorktree: (task) =>
      serial(task.projectId, () => removeTaskWorktree(layout(task.projectId), task.taskId)),
    listFiles: async (task, path) => listFiles((await worktree(task)).path, path),
    readFile: async (task, path) => readWorkspaceFile((await worktree(task)).path, path),
    writeFile: async (task, path, content) =>
      writeWorkspaceFile((await worktree(task)).path, path, content),
    commit: (task, message) =>
      serial(task.projectId, async () =>
        commitTaskChanges(await committable(task), message, now()),
      ),
    diff: (task) =>
      serial(task.projectId, async () => {
        const found = await worktree(task).catch((error: unknown) => {
          if (error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND') return null;
          throw error;
        });
        if (found) return diffTask(found);
        return diffTaskBranch(await getTaskBranch(layout(task.projectId), task.taskId));
      }),
    status: async (task) => statusOf(await worktree(task)),
    diffSince: async (task, since) => diffSince(await worktree(task), since),
    search: async (task, pattern, path) => searchWorktree(await worktree(task), pattern, path),
    merge: (task, message) =>
      serial(task.projectId, async () =>
        mergeTask(await committable(task), { message, date: now() }),
      ),
    planMerge: (task, message) =>
      serial(task.projectId, async () =>
        planMerge(await committable(task), { message, date: now() }),
      ),
    applyMerge: (task, candidate) =>
      serial(task.projectId, async () => applyMerge(await worktree(task), candidate)),
    absorbMerge: (task, candidate) =>
      serial(task.projectId, async () => absorbMerge(await worktree(task), candidate)),
    withCheckout: async ({ projectId, taskId, name, commit }, work) => {
      const project = layout(projectId);
      const checkout = await serial(projectId, () => createCheckout(project, name, commit));
      try {
        return await work({
          tree: {
            readFile: (path) => readWorkspaceFile(checkout.path, path).catch(() => null),
            listFolder: (path) => listFolderNames(checkout.path, path),
          },
          run: (run) => runAt(checkout.path, { projectId, taskId, ...run }),
        });
      } finally {
        await serial(projectId, () => removeCheckout(project, name));
      }
    },
    runInTask: async (run) =>
      runAt((await worktree({ projectId: run.projectId, taskId: run.taskId })).path, run),
  };
}
