// The workspace service: one object that the API and the agent runtime use for a project's
// repository, its tasks' worktrees, their files, diffs and merges, and commands run in a
// worktree through the sandbox. Git operations on one project run one at a time: queued in
// this process, then under the project lock shared with every other process.
import { rm } from 'node:fs/promises';
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
import { attemptRef, projectLayout } from './layout.js';
import { diffSince, searchWorktree, statusOf } from './inspect.js';
import { createCheckout, removeCheckout } from './checkouts.js';
import {
  absorbConflict,
  absorbMerge,
  type AbsorbedConflict,
  applyMerge,
  mergeTask,
  planMerge,
  type MergeCandidate,
  type MergeResult,
} from './merge.js';
import {
  createFileTaskBranchStore,
  type ProjectLock,
  type TaskBranchStore,
} from './coordination.js';
import { adoptLegacyBases } from './legacy-bases.js';
import type { TreeReader } from './test-command.js';
import {
  createRepository,
  getRepositoryInfo,
  type ImportPolicy,
  type RepositoryInfo,
  type RepositorySource,
} from './repository.js';
import { inspectRemote, type RemoteAccess, type RemoteInfo, type RemotePolicy } from './remote.js';
import { cloneUpstream, syncBase, type BaseSync } from './upstream.js';
import {
  bundleBase,
  formatTaskPatch,
  serveUploadPack,
  type UploadPackRequest,
} from './downloads.js';
import type { GitProcess } from './git.js';
import {
  archiveTaskBranch,
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
  /**
   * Where task branches' bases are recorded (Postgres when Cadre runs); without it, files under
   * the data folder, which only one process may use.
   */
  taskBranches?: TaskBranchStore;
  /** The lock that holds a project's git work across processes; without it, this process's queue only. */
  projectLock?: ProjectLock;
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
  /** Creates the repository from the upstream's `branch` (its default branch when absent). */
  createRepositoryFromRemote(
    projectId: string,
    remote: RemoteAccess,
    branch?: string,
  ): Promise<RepositoryInfo>;
  /** Asks the upstream for its default branch and the head of `branch`, changing nothing. */
  inspectRemote(projectId: string, remote: RemoteAccess, branch?: string): Promise<RemoteInfo>;
  /** Fetches the upstream's `branch` and brings the base branch of that name up to it. */
  syncBase(projectId: string, remote: RemoteAccess, branch: string): Promise<BaseSync>;
  /** Removes the project's repository, worktrees and checkouts from disk. */
  removeProject(projectId: string): Promise<void>;
  createTaskWorktree(task: TaskRef, baseBranch?: string): Promise<TaskWorktree>;
  getTaskWorktree(task: TaskRef): Promise<TaskWorktree>;
  removeTaskWorktree(task: TaskRef): Promise<void>;
  /**
   * Keeps the task branch's head under refs/cadre/attempts/<task>/<attempt> and removes the
   * branch and its worktree, so that the task starts again from its base; the kept commit,
   * or null when the task had no branch.
   */
  archiveTaskBranch(task: TaskRef, attempt: number): Promise<string | null>;
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
  /** Merges a conflicting base into the task's branch, conflict markers and all, for a fix round. */
  absorbConflict(task: TaskRef): Promise<AbsorbedConflict>;
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
  /** Serves one git smart-HTTP request for clone or fetch (upload-pack only) of the repository. */
  serveUploadPack(projectId: string, request: UploadPackRequest): Promise<GitProcess>;
  /** The base branch as a git bundle on the process's stdout. */
  bundleBase(
    projectId: string,
    timeoutMs?: number,
  ): Promise<{ baseBranch: string; process: GitProcess }>;
  /** The task's committed work as `git format-patch` output on the process's stdout. */
  formatTaskPatch(task: TaskRef, timeoutMs?: number): Promise<GitProcess>;
}

/** Creates the workspace service. */
export function createWorkspaces(options: WorkspacesOptions): Workspaces {
  const { dataDir, now = () => new Date() } = options;
  const store = options.taskBranches ?? createFileTaskBranchStore(dataDir);
  const projectLock: ProjectLock = options.projectLock ?? ((_projectId, work) => work());
  const locks = new Map<string, Promise<unknown>>();
  // Serializes git work on one project: git's own locks would fail a concurrent caller. The
  // queue in front of the shared lock keeps this process to one lock (one connection) a project.
  const serial = <T>(projectId: string, work: () => Promise<T>): Promise<T> => {
    const previous = locks.get(projectId) ?? Promise.resolve();
    const locked = () => projectLock(projectId, work);
    const next = previous.then(locked, locked);
    const settled = next.catch(() => undefined);
    locks.set(projectId, settled);
    void settled.then(() => {
      if (locks.get(projectId) === settled) locks.delete(projectId);
    });
    return next;
  };
  const layout = (projectId: string) => projectLayout(dataDir, projectId);
  const policy: RemotePolicy = {
    allowHosts: options.imports?.allowHosts,
    resolveHost: options.imports?.resolveHost,
  };
  const bases = (projectId: string) => ({
    get: (taskId: string) => store.getBase(projectId, taskId),
    claim: (taskId: string, base: string) => store.claimBase(projectId, taskId, base),
  });
  const adopted = new Map<string, Promise<void>>();
  /** The project, its legacy bases (from before they lived in the store) adopted once. */
  const ready = async (projectId: string) => {
    const project = layout(projectId);
    let adopting = adopted.get(projectId);
    if (!adopting) {
      adopting = serial(projectId, () => adoptLegacyBases(project.gitDir, bases(projectId)));
      adopted.set(projectId, adopting);
      adopting.catch(() => adopted.delete(projectId));
    }
    await adopting;
    return project;
  };
  const worktree = async (task: TaskRef) =>
    getTaskWorktree(await ready(task.projectId), task.taskId, bases(task.projectId));
  /**
   * Runs git work on the task's worktree under the project's lock, the worktree looked up
   * first (so the lock never waits on the store) and, for `committing`, its repository told
   * to ignore interrupted writes.
   */
  const onWorktree = async <T>(
    task: TaskRef,
    work: (found: TaskWorktree) => Promise<T>,
    committing = false,
  ): Promise<T> => {
    const found = await worktree(task);
    return serial(task.projectId, async () => {
      if (committing) await ignorePartialWrites(layout(task.projectId).gitDir);
      return work(found);
    });
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
    getRepository: async (projectId) => getRepositoryInfo(await ready(projectId)),
    createRepositoryFromRemote: (projectId, remote, branch) =>
      serial(projectId, () => cloneUpstream(layout(projectId), remote, branch, policy)),
    inspectRemote: (projectId, remote, branch) =>
      inspectRemote(layout(projectId), remote, branch, policy),
    syncBase: async (projectId, remote, branch) => {
      const project = await ready(projectId);
      return serial(projectId, () => syncBase(project, remote, branch, policy));
    },
    removeProject: (projectId) =>
      serial(projectId, async () => {
        adopted.delete(projectId);
        await rm(layout(projectId).root, { recursive: true, force: true });
      }),
    createTaskWorktree: async (task, baseBranch) =>
      createTaskWorktree(await ready(task.projectId), task.taskId, {
        baseBranch,
        bases: bases(task.projectId),
        locked: (work) => serial(task.projectId, work),
      }),
    getTaskWorktree: worktree,
    removeTaskWorktree: (task) =>
      ready(task.projectId).then((project) =>
        serial(task.projectId, () => removeTaskWorktree(project, task.taskId)),
      ),
    archiveTaskBranch: (task, attempt) =>
      ready(task.projectId).then((project) =>
        serial(task.projectId, () =>
          archiveTaskBranch(project, task.taskId, attemptRef(task.taskId, attempt)),
        ),
      ),
    listFiles: async (task, path) => listFiles((await worktree(task)).path, path),
    readFile: async (task, path) => readWorkspaceFile((await worktree(task)).path, path),
    writeFile: async (task, path, content) =>
      writeWorkspaceFile((await worktree(task)).path, path, content),
    commit: (task, message) =>
      onWorktree(task, (found) => commitTaskChanges(found, message, now()), true),
    diff: async (task) => {
      const found = await worktree(task).catch((error: unknown) => {
        if (error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND') return null;
        throw error;
      });
      if (found) return serial(task.projectId, () => diffTask(found));
      const branch = await getTaskBranch(
        await ready(task.projectId),
        task.taskId,
        bases(task.projectId),
      );
      return serial(task.projectId, () => diffTaskBranch(branch));
    },
    status: async (task) => statusOf(await worktree(task)),
    diffSince: async (task, since) => diffSince(await worktree(task), since),
    search: async (task, pattern, path) => searchWorktree(await worktree(task), pattern, path),
    merge: (task, message) =>
      onWorktree(task, (found) => mergeTask(found, { message, date: now() }), true),
    planMerge: (task, message) =>
      onWorktree(task, (found) => planMerge(found, { message, date: now() }), true),
    applyMerge: (task, candidate) => onWorktree(task, (found) => applyMerge(found, candidate)),
    absorbMerge: (task, candidate) => onWorktree(task, (found) => absorbMerge(found, candidate)),
    absorbConflict: (task) => onWorktree(task, (found) => absorbConflict(found)),
    withCheckout: async ({ projectId, taskId, name, commit }, work) => {
      const project = await ready(projectId);
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
    // Reads only: git's reads are safe beside a ref moving, so none waits for the project lock.
    serveUploadPack: async (projectId, request) => serveUploadPack(await ready(projectId), request),
    bundleBase: async (projectId, timeoutMs) => bundleBase(await ready(projectId), timeoutMs),
    formatTaskPatch: async (task, timeoutMs) =>
      formatTaskPatch(
        await getTaskBranch(await ready(task.projectId), task.taskId, bases(task.projectId)),
        timeoutMs,
      ),
  };
}
