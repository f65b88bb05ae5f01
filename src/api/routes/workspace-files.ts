// /api/projects/:projectId/tasks/:taskId/files and /file: list, read and write the files of a
// task's worktree. Paths are confined by the workspace module; a refused path changes nothing.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth-hook.js';
import {
  FileContent,
  FileEntry,
  FileQuery,
  FileWrite,
  PathQuery,
  TaskParams,
} from './workspace-schemas.js';
import type { WorkspaceServices } from './workspace-services.js';

export const workspaceFileRoutes: FastifyPluginAsyncZod<{ services: WorkspaceServices }> = async (
  app,
  { services },
) => {
  const tags = ['workspaces'];
  const taskRef = async (
    principal: Parameters<WorkspaceServices['task']>[0],
    params: z.infer<typeof TaskParams>,
  ) => {
    const { project, task } = await services.task(principal, params);
    return { projectId: project.id, taskId: task.id };
  };

  app.get(
    '/api/projects/:projectId/tasks/:taskId/files',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags,
        params: TaskParams,
        querystring: PathQuery,
        response: { 200: z.object({ items: z.array(FileEntry) }) },
      },
    },
    async (request) => {
      const ref = await taskRef(principalOf(request), request.params);
      return { items: await services.workspaces.listFiles(ref, request.query.path) };
    },
  );

  app.get(
    '/api/projects/:projectId/tasks/:taskId/file',
    {
      config: { permission: 'workspace:read' },
      schema: { tags, params: TaskParams, querystring: FileQuery, response: { 200: FileContent } },
    },
    async (request) => {
      const ref = await taskRef(principalOf(request), request.params);
      const content = await services.workspaces.readFile(ref, request.query.path);
      return { path: request.query.path, content };
    },
  );

  app.put(
    '/api/projects/:projectId/tasks/:taskId/file',
    {
      config: { permission: 'workspace:write' },
      schema: { tags, params: TaskParams, body: FileWrite },
    },
    async (request, reply) => {
      const ref = await taskRef(principalOf(request), request.params);
      await services.workspaces.writeFile(ref, request.body.path, request.body.content);
      return reply.status(204).send();
    },
  );
};
