// /api/projects/:projectId/tasks/:taskId/runs: run a command in the task's worktree inside
// the sandbox, and list the runs recorded for the task with their resource use.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { and, eq } from 'drizzle-orm';
import { tables, type Db } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import { collectRun } from '../../sandbox/index.js';
import { principalOf } from '../auth-hook.js';
import { RunOutcome, RunRequest, RunRow, TaskParams } from './workspace-schemas.js';
import { listTaskRuns, type WorkspaceServices } from './workspace-services.js';

/** NOT_FOUND unless the step is one of the task's, in the caller's organization. */
async function checkStep(db: Db, orgId: string, taskId: string, stepId: string) {
  const { steps } = tables;
  const [step] = await db
    .select({ id: steps.id })
    .from(steps)
    .where(and(eq(steps.id, stepId), eq(steps.orgId, orgId), eq(steps.taskId, taskId)));
  if (!step) {
    throw new CadreError('NOT_FOUND', `stepId: no step ${stepId} in task ${taskId}.`, {
      details: { kind: 'step', id: stepId },
    });
  }
}

export const workspaceRunRoutes: FastifyPluginAsyncZod<{
  services: WorkspaceServices;
  db: Db;
}> = async (app, { services, db }) => {
  const tags = ['workspaces'];

  app.post(
    '/api/projects/:projectId/tasks/:taskId/runs',
    {
      config: { permission: 'workspace:exec' },
      schema: { tags, params: TaskParams, body: RunRequest, response: { 200: RunOutcome } },
    },
    async (request) => {
      const principal = principalOf(request);
      const { project, task } = await services.task(principal, request.params);
      const { argv, stdin, env, cwd, timeoutMs, stepId } = request.body;
      if (stepId) await checkStep(db, principal.orgId, task.id, stepId);
      const abort = new AbortController();
      request.raw.once('close', () => {
        if (request.raw.destroyed && !request.raw.complete) abort.abort();
      });
      const handle = await services.workspaces.runInTask({
        projectId: project.id,
        taskId: task.id,
        orgId: principal.orgId,
        stepId,
        argv,
        stdin,
        env,
        cwd,
        hasNetwork: project.hasNetwork,
        limits: timeoutMs ? { timeoutMs } : undefined,
        signal: abort.signal,
      });
      return collectRun(handle);
    },
  );

  app.get(
    '/api/projects/:projectId/tasks/:taskId/runs',
    {
      config: { permission: 'workspace:read' },
      schema: { tags, params: TaskParams, response: { 200: z.object({ items: z.array(RunRow) }) } },
    },
    async (request) => {
      const principal = principalOf(request);
      const { task } = await services.task(principal, request.params);
      const rows = await listTaskRuns(db, principal.orgId, task.id);
      return {
        items: rows.map((row) => ({
          id: row.id,
          stepId: row.stepId,
          executor: row.executor,
          command: row.command,
          exitCode: row.exitCode,
          isTimedOut: row.isTimedOut,
          usage: { wallMs: row.wallMs, cpuMs: row.cpuMs, peakMemoryBytes: row.peakMemoryBytes },
          startedAt: row.startedAt.toISOString(),
        })),
      };
    },
  );
};
