// /api/auth/session: the browser's side of signing in. A page that signed in with an API key
// trades it here for the httpOnly cookie, and a page that reloads learns its CSRF token here.
// Neither answer ever contains the credential itself.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { recordAudit } from '../../auth/index.js';
import type { AppDeps } from '../app.js';
import { principalOf, requestCredential } from '../auth-hook.js';
import {
  assertOriginAllowed,
  csrfTokenFor,
  sessionCookieOf,
  setSessionCookie,
} from '../session-cookie.js';
import { BrowserSession } from '../schemas.js';

/** How long a browser keeps a key it signed in with: a week, as a password session lasts. */
const keyCookieLifetimeMs = 7 * 24 * 60 * 60 * 1000;

export const browserSessionRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { database: { db } },
) => {
  const tags = ['auth'];
  const describe = (request: FastifyRequest, isCookie: boolean) => {
    const principal = principalOf(request);
    return {
      credential: principal.kind,
      apiKeyId: principal.kind === 'api-key' ? principal.credentialId : null,
      csrfToken: isCookie ? csrfTokenFor(requestCredential(request)!) : null,
    };
  };

  app.post(
    '/api/auth/session',
    {
      schema: {
        tags,
        summary: 'Hold the bearer credential of this request in the browser session cookie',
        response: { 200: BrowserSession },
      },
    },
    async (request, reply) => {
      assertOriginAllowed(request, { isRequired: false });
      const principal = principalOf(request);
      const expiresAt = new Date(Date.now() + keyCookieLifetimeMs);
      setSessionCookie(request, reply, requestCredential(request)!, expiresAt);
      await recordAudit(db, principal, {
        action: 'browser-session-started',
        targetType: principal.kind,
        targetId: principal.credentialId,
        requestId: request.id,
      });
      return describe(request, true);
    },
  );

  app.get(
    '/api/auth/session',
    {
      schema: {
        tags,
        summary: "The browser session's kind and CSRF token",
        response: { 200: BrowserSession },
      },
    },
    async (request) => describe(request, requestCredential(request) === sessionCookieOf(request)),
  );
};
