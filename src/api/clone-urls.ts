// The clone URLs of Cadre's own repositories (served at /git/<org-slug>/<project-id>.git):
// built on the public-URL setting, else on the scheme and host the request came in with.
import { eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

/** Where this request reached Cadre: `server.publicUrl`, else its own scheme and host. */
export function publicBaseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

/** Builds clone URLs of one organization's projects for a request. */
export async function createCloneUrls(
  db: Db,
  request: FastifyRequest,
  options: { orgId: string; publicUrl: string | undefined },
): Promise<(projectId: string) => string> {
  const [org] = await db
    .select({ slug: tables.organizations.slug })
    .from(tables.organizations)
    .where(eq(tables.organizations.id, options.orgId));
  if (!org) throw new Error(`organization ${options.orgId} does not exist`);
  const base = `${publicBaseUrl(request, options.publicUrl)}/git/${encodeURIComponent(org.slug)}`;
  return (projectId) => `${base}/${projectId}.git`;
}
