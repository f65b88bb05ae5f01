// /api/auth and /api/keys: password sign-in and sessions, the caller's identity, API keys.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createApiKey,
  getUser,
  listApiKeys,
  recordAudit,
  revokeApiKey,
  Role,
  changePassword,
  signIn,
  signOut,
} from '../../auth/index.js';
import { CadreError } from '../../errors/index.js';
import type { AppDeps } from '../app.js';
import { principalOf, requestCredential, throttledError } from '../auth-hook.js';
import {
  assertOriginAllowed,
  clearSessionCookie,
  csrfTokenFor,
  setSessionCookie,
} from '../session-cookie.js';
import {
  ApiKey,
  ApiKeyCreate,
  ApiKeyCreated,
  IdParams,
  Me,
  PasswordChange,
  SignInRequest,
  SignInResponse,
} from '../schemas.js';

type ApiKeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    ...row,
    role: Role.parse(row.role),
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}
type ApiKey = z.infer<typeof ApiKey>;

export const authRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { db } = deps.database;
  const now = deps.now ?? (() => new Date());
  const tags = ['auth'];

  app.post(
    '/api/auth/sign-in',
    {
      config: { permission: 'public' },
      schema: { tags, body: SignInRequest, response: { 200: SignInResponse } },
    },
    async (request, reply) => {
      // A foreign page must not sign the browser in as someone else (login CSRF).
      if (request.body.cookie) assertOriginAllowed(request, { isRequired: false });
      // A wrong password is an invalid credential too: it counts against the address, which
      // is refused before any lookup once it has presented too many.
      const retryAfterMs = app.credentialThrottle.retryAfterMs(request.ip);
      if (retryAfterMs > 0) throw throttledError(retryAfterMs);
      const grant = await signIn(db, {
        email: request.body.email,
        password: request.body.password,
        now: now(),
        clientAddress: request.ip,
        requestId: request.id,
      }).catch((error: unknown) => {
        if (error instanceof CadreError && error.code === 'UNAUTHENTICATED') {
          app.credentialThrottle.recordFailure(request.ip);
        }
        throw error;
      });
      const actor = {
        orgId: grant.orgId,
        userId: grant.userId,
        credentialId: grant.userId,
        kind: 'session' as const,
      };
      await recordAudit(db, actor, {
        action: 'user-signed-in',
        targetType: 'user',
        targetId: grant.userId,
        requestId: request.id,
      });
      const expiresAt = grant.expiresAt.toISOString();
      if (!request.body.cookie) return { token: grant.token, expiresAt };
      setSessionCookie(request, reply, grant.token, grant.expiresAt);
      return { csrfToken: csrfTokenFor(grant.token), expiresAt };
    },
  );

  app.post('/api/auth/sign-out', { schema: { tags } }, async (request, reply) => {
    if (principalOf(request).kind === 'session') {
      await signOut(db, requestCredential(request)!);
      app.credentials.clear(); // other nodes learn it from Postgres a moment later
    }
    // A browser forgets its cookie, whether it held a session or an API key.
    clearSessionCookie(request, reply);
    return reply.status(204).send();
  });

  app.get('/api/auth/me', { schema: { tags, response: { 200: Me } } }, async (request) => {
    const principal = principalOf(request);
    return {
      orgId: principal.orgId,
      role: principal.role,
      credential: principal.kind,
      user: await getUser(db, principal),
    };
  });

  app.put(
    '/api/auth/password',
    { schema: { tags, body: PasswordChange } },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!principal.userId) {
        throw new CadreError(
          'INVALID_STATE',
          'This API key belongs to no user; sign in as a user to set a password.',
        );
      }
      const { endedSessions } = await changePassword(db, principal.userId, {
        password: request.body.password,
        currentPassword: request.body.currentPassword,
        // The session that makes the change stays signed in; every other one ends.
        keepSessionId: principal.kind === 'session' ? principal.credentialId : null,
        orgId: principal.orgId,
        now: now(),
        clientAddress: request.ip,
        requestId: request.id,
      });
      app.credentials.clear(); // other nodes learn it from Postgres a moment later
      await recordAudit(db, principal, {
        action: 'password-changed',
        targetType: 'user',
        targetId: principal.userId,
        data: { endedSessions },
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/keys',
    {
      config: { permission: 'keys:manage' },
      schema: { tags, response: { 200: z.object({ items: z.array(ApiKey) }) } },
    },
    async (request) => ({
      items: (await listApiKeys(db, principalOf(request).orgId)).map(toApiKey),
    }),
  );

  app.post(
    '/api/keys',
    {
      config: { permission: 'keys:manage' },
      schema: { tags, body: ApiKeyCreate, response: { 201: ApiKeyCreated } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (request.body.role === 'owner' && principal.role !== 'owner') {
        throw new CadreError('FORBIDDEN', 'Only an owner can create an owner key.');
      }
      const created = await createApiKey(db, principal, {
        name: request.body.name,
        role: request.body.role,
        expiresAt: request.body.expiresAt ? new Date(request.body.expiresAt) : null,
      });
      await recordAudit(db, principal, {
        action: 'api-key-created',
        targetType: 'api-key',
        targetId: created.id,
        requestId: request.id,
      });
      return reply.status(201).send({ ...toApiKey(created), key: created.key });
    },
  );

  app.delete(
    '/api/keys/:id',
    { config: { permission: 'keys:manage' }, schema: { tags, params: IdParams } },
    async (request, reply) => {
      const principal = principalOf(request);
      await revokeApiKey(db, principal.orgId, request.params.id);
      app.credentials.clear(); // other nodes learn it from Postgres a moment later
      await recordAudit(db, principal, {
        action: 'api-key-revoked',
        targetType: 'api-key',
        targetId: request.params.id,
        requestId: request.id,
      });
      return reply.status(204).send();
    },
  );
};
