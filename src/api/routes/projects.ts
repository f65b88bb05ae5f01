// /api/projects: create, list, get, update and delete the organization's projects. Turning a
// project's sandbox network on is an owner's or admin's decision, and is audited.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit, type Principal } from '../../auth/index.js';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
  type ProjectRow,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { createCloneUrls } from '../clone-urls.js';
import { requirePermission } from '../require-permission.js';
import { IdParams, Project, ProjectCreate, ProjectUpdate } from '../schemas.js';

/** The API's view of a project row. */
export function toProject(row: ProjectRow, cloneUrl: string): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    isConfidential: row.isConfidential,
    hasNetwork: row.hasNetwork,
    testCommand: row.testCommand,
    allowUntestedMerge: row.allowUntestedMerge,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    cloneUrl,
  };
}

/** A change of a project's network, for the audit log. */
interface NetworkChange {
  requestId: string;
  principal: Principal;
  projectId: string;
  hasNetwork: boolean;
}

export const projectRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { database: { db }, gateway, config },
) => {
  const tags = ['projects'];
  /** The views of one organization's project rows, with the clone URLs of this request. */
  const viewsOf = async (request: FastifyRequest, orgId: string, rows: readonly ProjectRow[]) => {
    const cloneUrl = await createCloneUrls(db, request, {
      orgId,
      publicUrl: config.server.publicUrl,
    });
    return rows.map((row) => toProject(row, cloneUrl(row.id)));
  };
  const viewOf = async (request: FastifyRequest, row: ProjectRow) =>
    (await viewsOf(request, row.orgId, [row]))[0]!;
  const auditNetwork = ({ requestId, principal, projectId, hasNetwork }: NetworkChange) =>
    recordAudit(db, principal, {
      action: hasNetwork ? 'project-network-enabled' : 'project-network-disabled',
      targetType: 'project',
      targetId: projectId,
      data: { hasNetwork },
      requestId,
    });

  app.post(
    '/api/projects',
    {
      config: { permission: 'projects:write' },
      schema: { tags, body: ProjectCreate, response: { 201: Project } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (request.body.hasNetwork === true) requirePermission(principal, 'projects:network');
      const row = await createProject(db, principal.orgId, request.body);
      await recordAudit(db, principal, {
        action: 'project-created',
        targetType: 'project',
        targetId: row.id,
        requestId: request.id,
      });
      if (row.hasNetwork) {
        await auditNetwork({
          requestId: request.id,
          principal,
          projectId: row.id,
          hasNetwork: true,
        });
      }
      return reply.status(201).send(await viewOf(request, row));
    },
  );

  app.get(
    '/api/projects',
    {
      config: { permission: 'projects:read' },
      schema: { tags, response: { 200: z.object({ items: z.array(Project) }) } },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      return { items: await viewsOf(request, orgId, await listProjects(db, orgId)) };
    },
  );

  app.get(
    '/api/projects/:id',
    {
      config: { permission: 'projects:read' },
      schema: { tags, params: IdParams, response: { 200: Project } },
    },
    async (request) =>
      viewOf(request, await getProject(db, principalOf(request).orgId, request.params.id)),
  );

  app.patch(
    '/api/projects/:id',
    {
      config: { permission: 'projects:write' },
      schema: { tags, params: IdParams, body: ProjectUpdate, response: { 200: Project } },
    },
    async (request) => {
      const principal = principalOf(request);
      // The project is looked up first, so that another organization's id stays a 404.
      const before = await getProject(db, principal.orgId, request.params.id);
      if (request.body.hasNetwork === true) requirePermission(principal, 'projects:network');
      const row = await updateProject(db, principal.orgId, request.params.id, request.body);
      // The gateway keeps confidentiality in memory: it must hold from the very next call.
      if (request.body.isConfidential !== undefined) gateway?.invalidateScope(principal.orgId);
      await recordAudit(db, principal, {
        action: 'project-updated',
        targetType: 'project',
        targetId: row.id,
        data: { fields: Object.keys(request.body) },
        requestId: request.id,
      });
      if (row.hasNetwork !== before.hasNetwork) {
        const change = { principal, projectId: row.id, hasNetwork: row.hasNetwork };
        await auditNetwork({ requestId: request.id, ...change });
      }
      return viewOf(request, row);
    },
  );

  app.delete(
    '/api/projects/:id',
    { config: { permission: 'projects:write' }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      await deleteProject(db, principal.orgId, request.params.id);
      await recordAudit(db, principal, {
        action: 'project-deleted',
        targetType: 'project',
        targetId: request.params.id,
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
};
