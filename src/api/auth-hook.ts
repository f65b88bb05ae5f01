// Authentication and permission checks for every route, in one place. Routes under /api/
// need credentials unless they say `permission: 'public'`; a route may name the permission
// it needs, which the caller's role must grant. Invalid credentials count against the client's
// address, and a throttled address is refused before any database lookup.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  isAllowed,
  isWellFormedToken,
  type AddressThrottle,
  type CredentialCache,
  type Permission,
  type Principal,
} from '../auth/index.js';
import { CadreError } from '../errors/index.js';
import {
  assertCookieRequestAllowed,
  assertOriginAllowed,
  clearSessionCookie,
  sessionCookieOf,
} from './session-cookie.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's credential cache; routes that revoke a credential clear it. */
    credentials: CredentialCache;
    /** Invalid credentials per client address (tokens here, passwords at sign-in). */
    credentialThrottle: AddressThrottle;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** What the caller must be allowed; 'public' needs no credentials at all. */
    permission?: Permission | 'public';
  }
}

/** Installs the check as the first hook of every request. */
export function installAuth(
  app: FastifyInstance,
  credentials: CredentialCache,
  credentialThrottle: AddressThrottle,
) {
  app.decorate('credentials', credentials);
  app.decorate('credentialThrottle', credentialThrottle);
  app.addHook('onClose', () => credentials.close());
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const permission = request.routeOptions.config?.permission;
    // The route's own pattern, not the raw URL: the router decodes "/%61pi/…" to "/api/…".
    const path = request.routeOptions.url ?? request.url;
    if (permission === 'public' || !path.startsWith('/api/')) return;
    const token = requestCredential(request);
    // A browser's cookie is checked for CSRF before it costs a lookup; a bearer token never is.
    if (token && !bearerToken(request)) assertCookieRequestAllowed(request, token);
    request.principal = token ? await principalOfToken(request, token) : null;
    if (!request.principal) {
      if (token && !bearerToken(request)) clearSessionCookie(request, reply); // a stale cookie
      throw new CadreError(
        'UNAUTHENTICATED',
        token
          ? 'The API key or session is not valid (unknown, revoked or expired).'
          : 'Send an API key or session token as "Authorization: Bearer <token>", or sign in in the browser.',
      );
    }
    if (permission && !isAllowed(request.principal.role, permission)) {
      throw new CadreError(
        'FORBIDDEN',
        `Your role (${request.principal.role}) does not allow ${permission}.`,
        {
          details: { permission, role: request.principal.role },
        },
      );
    }
  });
}

/** The credential a request is made with: its bearer token, else its session cookie. */
export function requestCredential(request: FastifyRequest): string | null {
  return bearerToken(request) ?? sessionCookieOf(request);
}

/**
 * The principal behind `token`. An address that presented too many invalid credentials gets
 * only what is already in memory (CREDENTIALS_THROTTLED otherwise); a token of the wrong shape
 * is refused without a lookup. Every refusal counts against the address. Every way a token
 * arrives (header, subprotocol, cookie) goes through here.
 */
export async function principalOfToken(request: FastifyRequest, token: string) {
  const { credentials, credentialThrottle } = request.server;
  const retryAfterMs = credentialThrottle.retryAfterMs(request.ip);
  if (retryAfterMs > 0) {
    const known = credentials.peek(token);
    if (known) return known;
    throw throttledError(retryAfterMs);
  }
  const principal = isWellFormedToken(token) ? await credentials.authenticate(token) : null;
  if (!principal) credentialThrottle.recordFailure(request.ip);
  return principal;
}

/** The answer to an address that presented too many invalid credentials. */
export function throttledError(retryAfterMs: number): CadreError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new CadreError(
    'CREDENTIALS_THROTTLED',
    `Too many invalid credentials from your address: retry in ${retryAfterSeconds} s.`,
    { details: { retryAfterSeconds } },
  );
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/** The authenticated caller of a route that requires one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new CadreError('UNAUTHENTICATED', 'This route requires credentials.');
  return request.principal;
}

/**
 * Authenticates a WebSocket upgrade. Programs send a bearer header or, where they cannot set
 * headers, the subprotocol `bearer.<token>` beside `protocol`. A browser sends its session
 * cookie, which counts only from an allowed Origin: any page may open a WebSocket anywhere.
 */
export async function authenticateUpgrade(
  request: FastifyRequest,
  permission: Permission,
  protocol: string,
): Promise<Principal> {
  const given = bearerToken(request) ?? subprotocolToken(request);
  const cookie = given ? null : sessionCookieOf(request);
  if (cookie) assertOriginAllowed(request, { isRequired: true });
  const token = given ?? cookie;
  const principal = token ? await principalOfToken(request, token) : null;
  if (!principal) {
    throw new CadreError(
      'UNAUTHENTICATED',
      token
        ? 'The API key or session is not valid (unknown, revoked or expired).'
        : `Send the token as "Authorization: Bearer <token>" or as the WebSocket subprotocol "bearer.<token>" beside "${protocol}".`,
    );
  }
  if (!isAllowed(principal.role, permission)) {
    throw new CadreError(
      'FORBIDDEN',
      `Your role (${principal.role}) does not allow ${permission}.`,
      {
        details: { permission, role: principal.role },
      },
    );
  }
  request.principal = principal;
  return principal;
}

function subprotocolToken(request: FastifyRequest): string | null {
  const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',');
  const bearer = offered.map((item) => item.trim()).find((item) => item.startsWith('bearer.'));
  return bearer ? bearer.slice('bearer.'.length) : null;
}
