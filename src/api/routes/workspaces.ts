// /api/projects/:projectId/workspace and a task's worktree, diff and merge. Registers the
// file, run and terminal routes beside it, over the same services.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { recordAudit } from '../../auth/index.js';
import { CadreError } from '../../errors/index.js';
import { recordDelivery } from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { requirePermission } from '../require-permission.js';
import { terminalRoutes } from './terminals.js';
import { workspaceFileRoutes } from './workspace-files.js';
import { workspaceRunRoutes } from './workspace-runs.js';
import {
  Diff,
  Merge,
  MergeRequest,
  ProjectParams,
  Repository,
  RepositoryCreate,
  TaskParams,
  Worktree,
  WorktreeCreate,
  WorktreeState,
} from './workspace-schemas.js';
import type { WorkspaceServices } from './workspace-services.js';

export const workspaceRoutes: FastifyPluginAsyncZod<
  AppDeps & { services: WorkspaceServices }
> = async (app, deps) => {
  const { services } = deps;
  const { workspaces } = services;
  const { db } = deps.database;
  const tags = ['workspaces'];

  app.post(
    '/api/projects/:projectId/workspace',
    {
      config: { permission: 'workspace:write' },
      schema: {
        tags,
        params: ProjectParams,
        body: RepositoryCreate,
        response: { 201: Repository },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const project = await services.project(principal, request.params.projectId);
      const { source, baseBranch } = request.body;
      // Importing a folder of the server reads the server's disk: owners and admins only.
      if (source.type === 'path') requirePermission(principal, 'workspace:import-local');
      const info = await workspaces.createRepository(project.id, source, baseBranch);
      await recordAudit(db, principal, {
        action: 'workspace-created',
        targetType: 'project',
        targetId: project.id,
        data: { source: source.type },
        requestId: request.id,
      });
      return reply.status(201).send(info);
    },
  );

  app.get(
    '/api/projects/:projectId/workspace',
    {
      config: { permission: 'workspace:read' },
      schema: { tags, params: ProjectParams, response: { 200: Repository } },
    },
    async (request) => {
      const project = await services.project(principalOf(request), request.params.projectId);
      return workspaces.getRepository(project.id);
    },
  );

  app.get(
    '/api/projects/:projectId/tasks/:taskId/worktree',
    {
      config: { permission: 'workspace:read' },
      schema: { tags, params: TaskParams, response: { 200: WorktreeState } },
    },
    async (request) => {
      const { project, task } = await services.task(principalOf(request), request.params);
      const worktree = await workspaces
        .getTaskWorktree({ projectId: project.id, taskId: task.id })
        .catch((error: unknown) => {
          if (error instanceof CadreError && error.code === 'WORKSPACE_NOT_FOUND') return null;
          throw error;
        });
      return {
        taskId: task.id,
        exists: worktree !== null,
        branch: worktree?.branch ?? null,
        baseBranch: worktree?.baseBranch ?? null,
      };
    },
  );

  app.post(
    '/api/projects/:projectId/tasks/:taskId/worktree',
    {
      config: { permission: 'workspace:write' },
      schema: { tags, params: TaskParams, body: WorktreeCreate, response: { 201: Worktree } },
    },
    async (request, reply) => {
      const { project, task } = await services.task(principalOf(request), request.params);
      const worktree = await workspaces.createTaskWorktree(
        { projectId: project.id, taskId: task.id },
        request.body.baseBranch,
      );
      return reply
        .status(201)
        .send({ taskId: task.id, branch: worktree.branch, baseBranch: worktree.baseBranch });
    },
  );

  app.get(
    '/api/projects/:projectId/tasks/:taskId/diff',
    {
      config: { permission: 'workspace:read' },
      schema: { tags, params: TaskParams, response: { 200: Diff } },
    },
    async (request) => {
      const { project, task } = await services.task(principalOf(request), request.params);
      return workspaces.diff({ projectId: project.id, taskId: task.id });
    },
  );

  app.post(
    '/api/projects/:projectId/tasks/:taskId/merge',
    {
      config: { permission: 'workspace:write' },
      schema: { tags, params: TaskParams, body: MergeRequest, response: { 200: Merge } },
    },
    async (request) => {
      const principal = principalOf(request);
      const { project, task } = await services.task(principal, request.params);
      const result = await workspaces.merge(
        { projectId: project.id, taskId: task.id },
        request.body.message,
      );
      // A merge by hand delivers the task's work as the merge step would.
      await recordDelivery(db, task, {
        mode: 'local',
        branch: result.baseBranch,
        commit: result.commit,
      });
      await recordAudit(db, principal, {
        action: 'task-merged',
        targetType: 'task',
        targetId: task.id,
        data: { baseBranch: result.baseBranch, commit: result.commit },
        requestId: request.id,
      });
      return result;
    },
  );

  await app.register(workspaceFileRoutes, { services });
  await app.register(workspaceRunRoutes, { services, db });
  await app.register(terminalRoutes, { services });
};
