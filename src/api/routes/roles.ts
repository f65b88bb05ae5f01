// /api/roles: the team's roles. Built-in roles can be overridden per organization and
// reverted by deleting the override; new roles are added the same way.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RoleDefinition } from '../../agents/index.js';
import { recordAudit } from '../../auth/index.js';
import { validationError } from '../../errors/index.js';
import {
  deleteRole,
  getRole,
  listRoles,
  parseConfigRoles,
  saveRole,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';

const NameParams = z.strictObject({ name: z.string().min(1).max(40) });
const RoleBody = RoleDefinition.omit({ name: true });

export const roleRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { config, database: { db } },
) => {
  const configRoles = parseConfigRoles(config.roles);
  const tags = ['roles'];

  app.get(
    '/api/roles',
    {
      config: { permission: 'roles:read' },
      schema: { tags, response: { 200: z.object({ items: z.array(RoleDefinition) }) } },
    },
    async (request) => ({
      items: [...(await listRoles(db, principalOf(request).orgId, configRoles)).values()],
    }),
  );

  app.get(
    '/api/roles/:name',
    {
      config: { permission: 'roles:read' },
      schema: { tags, params: NameParams, response: { 200: RoleDefinition } },
    },
    async (request) => getRole(db, principalOf(request).orgId, request.params.name, configRoles),
  );

  app.put(
    '/api/roles/:name',
    {
      config: { permission: 'roles:manage' },
      schema: { tags, params: NameParams, body: RoleBody, response: { 200: RoleDefinition } },
    },
    async (request) => {
      const principal = principalOf(request);
      const parsed = RoleDefinition.safeParse({ ...request.body, name: request.params.name });
      if (!parsed.success) throw validationError('params.name', parsed.error.issues[0]!.message);
      const role = await saveRole(db, principal.orgId, parsed.data);
      await recordAudit(db, principal, {
        action: 'role-saved',
        targetType: 'role',
        targetId: role.name,
        requestId: request.id,
      });
      return role;
    },
  );

  app.delete(
    '/api/roles/:name',
    { config: { permission: 'roles:manage' }, schema: { tags, params: NameParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      await deleteRole(db, principal.orgId, request.params.name);
      await recordAudit(db, principal, {
        action: 'role-deleted',
        targetType: 'role',
        targetId: request.params.name,
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
};
