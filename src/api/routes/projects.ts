// /api/projects: create (optionally from a repository), list, get, update and delete the
// organization's projects. Turning a project's sandbox network on is an owner's or admin's
// decision, and is audited. Credentials are accepted and never answered.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit, type Principal } from '../../auth/index.js';
import {
  changeProject,
  createProjectWithRepository,
  deleteProject,
  getProject,
  listProjects,
  secretKindsByProject,
  type ProjectRow,
} from '../../orchestrator/index.js';
import type { SecretDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { createCloneUrls } from '../clone-urls.js';
import { requirePermission } from '../require-permission.js';
import { IdParams, Project, ProjectCreate, ProjectUpdate } from '../schemas.js';
import type { WorkspaceServices } from './workspace-services.js';

/**
 * The API's view of a project row; `secretKinds` names the secrets it holds, never a value,
 * and `cloneUrl` is where its repository is served over git's smart HTTP.
 */
export function toProject(
  row: ProjectRow,
  secretKinds: readonly string[],
  cloneUrl: string,
): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    isConfidential: row.isConfidential,
    hasNetwork: row.hasNetwork,
    testCommand: row.testCommand,
    allowUntestedMerge: row.allowUntestedMerge,
    remoteUrl: row.remoteUrl,
    remoteBranch: row.remoteBranch,
    deliveryMode: row.deliveryMode,
    pushBranch: row.pushBranch,
    hostKind: row.hostKind,
    hostApiUrl: row.hostApiUrl,
    hostRepository: row.hostRepository,
    secretKinds: [...secretKinds].sort(),
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

export const projectRoutes: FastifyPluginAsyncZod<
  SecretDeps & { services: WorkspaceServices }
> = async (app, { database: { db }, gateway, secrets, services, config }) => {
  const tags = ['projects'];
  const projectServices = { db, secrets, workspaces: services.workspaces };
  /** The views of one organization's project rows, with the clone URLs of this request. */
  const viewsOf = async (request: FastifyRequest, orgId: string, rows: readonly ProjectRow[]) => {
    const [cloneUrl, kinds] = await Promise.all([
      createCloneUrls(db, request, { orgId, publicUrl: config.server.publicUrl }),
      secretKindsByProject(db, orgId),
    ]);
    return rows.map((row) => toProject(row, kinds.get(row.id) ?? [], cloneUrl(row.id)));
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
      const { repository } = request.body;
      if (request.body.hasNetwork === true) requirePermission(principal, 'projects:network');
      // Importing a folder of the server reads the server's disk: owners and admins only.
      if (repository && 'path' in repository) {
        requirePermission(principal, 'workspace:import-local');
      }
      const row = await createProjectWithRepository(projectServices, principal.orgId, request.body);
      await recordAudit(db, principal, {
        action: 'project-created',
        targetType: 'project',
        targetId: row.id,
        // Which kind of source and whether a credential came; never the credential.
        data: {
          repository: repository ? ('url' in repository ? 'url' : 'path') : null,
          remoteUrl: row.remoteUrl,
          hasCredential: request.body.credential !== undefined,
        },
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
      const row = await changeProject(
        projectServices,
        principal.orgId,
        request.params.id,
        request.body,
      );
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
      const { id } = request.params;
      const project = await getProject(db, principal.orgId, id);
      await deleteProject(db, principal.orgId, id);
      // The row is gone first: a folder left by a failed removal is only disk, never a project.
      const isRemoved = await services.workspaces.removeProject(id).then(
        () => true,
        (error: unknown) => {
          request.log.error({ err: error, projectId: id }, 'could not remove a project folder');
          return false;
        },
      );
      await recordAudit(db, principal, {
        action: 'project-deleted',
        targetType: 'project',
        targetId: id,
        data: { name: project.name, remoteUrl: project.remoteUrl, isFolderRemoved: isRemoved },
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
};
