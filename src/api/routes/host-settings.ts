// A project's git host settings that are not part of its creation: the webhook secret
// (POST makes a new one and answers it once; it is sealed and never shown again) and the
// issue label that hands an issue to Cadre.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAudit, setProjectSecret } from '../../auth/index.js';
import { tables } from '../../db/index.js';
import { getProject } from '../../orchestrator/index.js';
import type { SecretDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { IdParams } from '../schemas.js';

const WebhookSecret = z.object({
  secret: z.string().describe('Shown once: set it as the webhook secret on the host.'),
  url: z
    .string()
    .describe("The webhook URL for the project's host kind (a path without CADRE_PUBLIC_URL)."),
});

const IntakeLabel = z.strictObject({
  label: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe('The issue label that hands an issue to Cadre as a task.'),
});

export const hostSettingsRoutes: FastifyPluginAsyncZod<SecretDeps> = async (app, deps) => {
  const { db } = deps.database;
  const tags = ['webhooks'];

  app.post(
    '/api/projects/:id/webhook-secret',
    {
      config: { permission: 'projects:write' },
      schema: { tags, params: IdParams, response: { 201: WebhookSecret } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const project = await getProject(db, principal.orgId, request.params.id);
      const secret = randomBytes(32).toString('base64url');
      const where = {
        orgId: project.orgId,
        projectId: project.id,
        kind: 'webhook-secret' as const,
      };
      await setProjectSecret(db, deps.secrets, where, secret);
      await recordAudit(db, principal, {
        action: 'project-webhook-secret-rotated',
        targetType: 'project',
        targetId: project.id,
        requestId: request.id,
      });
      const path = `/api/hooks/${project.id}/${project.hostKind ?? '<github|gitlab|gitea>'}`;
      const base = deps.config.server.publicUrl?.replace(/\/+$/, '') ?? '';
      return reply.status(201).send({ secret, url: base + path });
    },
  );

  app.get(
    '/api/projects/:id/intake-label',
    {
      config: { permission: 'projects:read' },
      schema: { tags, params: IdParams, response: { 200: IntakeLabel } },
    },
    async (request) => {
      const project = await getProject(db, principalOf(request).orgId, request.params.id);
      return { label: project.hostIntakeLabel };
    },
  );

  app.put(
    '/api/projects/:id/intake-label',
    {
      config: { permission: 'projects:write' },
      schema: { tags, params: IdParams, body: IntakeLabel, response: { 200: IntakeLabel } },
    },
    async (request) => {
      const project = await getProject(db, principalOf(request).orgId, request.params.id);
      await db
        .update(tables.projects)
        .set({ hostIntakeLabel: request.body.label, updatedAt: new Date() })
        .where(eq(tables.projects.id, project.id));
      return { label: request.body.label };
    },
  );
};
