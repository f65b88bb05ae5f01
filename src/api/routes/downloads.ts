// Downloads of a project's repository: a task's committed work as a patch series for `git am`
// (GET /api/tasks/:id/patch), the base branch as a git bundle (GET /api/projects/:id/bundle).
// Both stream from git; neither writes to the repository.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getProject, getTask } from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { sendGitOutput } from '../git-output.js';
import { IdParams } from '../schemas.js';
import type { WorkspaceServices } from './workspace-services.js';

export const downloadRoutes: FastifyPluginAsyncZod<
  AppDeps & { services: WorkspaceServices }
> = async (app, { database: { db }, services, config }) => {
  const { gitTimeoutMs } = config.server;
  app.get(
    '/api/tasks/:id/patch',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags: ['tasks'],
        params: IdParams,
        description:
          "The task's committed work as `git format-patch` output (text/x-patch), to apply with `git am`; also once it is merged.",
      },
    },
    async (request, reply) => {
      const task = await getTask(db, principalOf(request).orgId, request.params.id);
      const git = await services.workspaces.formatTaskPatch(
        { projectId: task.projectId, taskId: task.id },
        gitTimeoutMs,
      );
      reply
        .type('text/x-patch; charset=utf-8')
        .header('content-disposition', `attachment; filename="task-${task.id}.patch"`);
      git.stdin.end();
      return sendGitOutput(request, reply, git);
    },
  );

  app.get(
    '/api/projects/:id/bundle',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['projects'],
        params: IdParams,
        description:
          "The project's base branch as a git bundle (application/octet-stream): `git bundle verify` it, `git clone` it.",
      },
    },
    async (request, reply) => {
      const project = await getProject(db, principalOf(request).orgId, request.params.id);
      const { baseBranch, process } = await services.workspaces.bundleBase(
        project.id,
        gitTimeoutMs,
      );
      reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${fileName(project.name)}.bundle"`)
        .header('x-cadre-base-branch', baseBranch);
      process.stdin.end();
      return sendGitOutput(request, reply, process);
    },
  );
};

/** A project's name as a file name that needs no quoting: letters, digits, ".", "_" and "-". */
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'project';
}
