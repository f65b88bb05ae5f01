// What the workspace and terminal routes share: the workspace service, the sandbox (made on
// first use, so that a missing bubblewrap fails only the routes that run commands), the
// terminals, the run recorder and the ownership checks. Nothing here answers HTTP itself.
import { and, desc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../auth/index.js';
import type { Db } from '../../db/index.js';
import { tables } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import {
  createProjectLock,
  createRunRecorder,
  createTaskBranchStore,
  getProject,
  getTask,
  type ProjectRow,
  type TaskRow,
} from '../../orchestrator/index.js';
import {
  createSandbox,
  createTerminalManager,
  type Sandbox,
  type TerminalManager,
} from '../../sandbox/index.js';
import { createWorkspaces, type Workspaces } from '../../workspace/index.js';
import type { AppDeps } from '../app.js';

/** The services behind the workspace and terminal routes. */
export interface WorkspaceServices {
  workspaces: Workspaces;
  sandbox(): Sandbox;
  terminals(): TerminalManager;
  /** The project, or NOT_FOUND when it is not the caller's. */
  project(principal: Principal, projectId: string): Promise<ProjectRow>;
  /** The project and its task, or NOT_FOUND when either is not the caller's. */
  task(
    principal: Principal,
    params: { projectId: string; taskId: string },
  ): Promise<{ project: ProjectRow; task: TaskRow }>;
}

/** Builds the services once per app; terminals close with the app. */
export function createWorkspaceServices(app: FastifyInstance, deps: AppDeps): WorkspaceServices {
  const db = deps.database.db;
  let sandbox: Sandbox | null = null;
  let terminals: TerminalManager | null = null;
  const getSandbox = () => (sandbox ??= createSandbox(deps.config.sandbox));
  const recorder = createRunRecorder(db, deps.logger);
  const workspaces =
    deps.workspaces ??
    createWorkspaces({
      dataDir: deps.config.dataDir,
      imports: deps.config.imports,
      get sandbox() {
        return getSandbox();
      },
      recordRun: recorder,
      taskBranches: createTaskBranchStore(deps.database.db),
      projectLock: createProjectLock(deps.database.pool),
    });
  app.addHook('onClose', async () => terminals?.closeAll());
  return {
    workspaces,
    sandbox: getSandbox,
    terminals: () =>
      (terminals ??= createTerminalManager({
        sandbox: getSandbox(),
        // A terminal is accounted like a run when its shell ends.
        onExit: (terminal, exit) =>
          void recorder({
            orgId: terminal.labels.orgId,
            projectId: terminal.labels.projectId!,
            taskId: terminal.labels.taskId!,
            executor: getSandbox().executor,
            argv: terminal.argv,
            startedAt: terminal.createdAt,
            result: {
              exitCode: exit.exitCode,
              signal: exit.signal === null ? null : String(exit.signal),
              isTimedOut: false,
              isOutputTruncated: false,
              usage: exit.usage,
            },
          }),
      })),
    project: (principal, projectId) => getProject(db, principal.orgId, projectId),
    task: async (principal, { projectId, taskId }) => {
      const project = await getProject(db, principal.orgId, projectId);
      const task = await getTask(db, principal.orgId, taskId);
      if (task.projectId !== project.id) {
        throw new CadreError('NOT_FOUND', `No task with id ${taskId} in project ${projectId}.`, {
          details: { kind: 'task', id: taskId },
        });
      }
      return { project, task };
    },
  };
}

/** The recorded runs of one task, newest first. */
export function listTaskRuns(db: Db, orgId: string, taskId: string) {
  const { sandboxRuns } = tables;
  return db
    .select()
    .from(sandboxRuns)
    .where(and(eq(sandboxRuns.orgId, orgId), eq(sandboxRuns.taskId, taskId)))
    .orderBy(desc(sandboxRuns.startedAt))
    .limit(200);
}
