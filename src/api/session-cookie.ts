// Browser sessions: the credential lives in an httpOnly, SameSite=Strict cookie that page
// scripts never read. A request that uses the cookie for an unsafe method must come from an
// allowed Origin and carry the CSRF token; a WebSocket that uses it must come from an allowed
// Origin. Bearer tokens (programs) never go through these checks.
import { createHmac, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CadreError } from '../errors/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Origins besides the app's own from which a browser session may be used. */
    allowedOrigins: ReadonlySet<string>;
  }
}

/** The cookie that holds a browser's credential: a session token, or the API key it signed in with. */
export const sessionCookieName = 'cadre_session';

/**
 * A cookie page scripts may read, beside the session cookie and with its lifetime: it holds
 * nothing but "1", and only spares a signed-out page a request that would fail.
 */
export const signedInCookieName = 'cadre_signed_in';

/** The header a browser sends the CSRF token in, on every unsafe request. */
export const csrfHeaderName = 'x-csrf-token';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface BrowserSessionOptions {
  /** Origins (scheme://host[:port]) other than the app's own, e.g. a separate dev server. */
  allowedOrigins: readonly string[];
}

/** Parses cookies and records the allowed origins; call it before installing the auth hook. */
export async function installBrowserSession(app: FastifyInstance, options: BrowserSessionOptions) {
  await app.register(fastifyCookie);
  app.decorate(
    'allowedOrigins',
    new Set(options.allowedOrigins.map((item) => new URL(item).origin)),
  );
}

/** The credential in the request's session cookie, if any. */
export function sessionCookieOf(request: FastifyRequest): string | null {
  const value = request.cookies[sessionCookieName];
  return value && /^[\w-]{1,200}$/.test(value) ? value : null;
}

/**
 * The CSRF token of a credential: an HMAC keyed by the credential itself, so that it needs no
 * server secret and no storage (any API node computes it), and tells nothing of the credential.
 */
export function csrfTokenFor(credential: string): string {
  return createHmac('sha256', credential).update('cadre-csrf-v1').digest('base64url');
}

/** Sets the session cookie; Secure when the page or the connection is https. */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  credential: string,
  expiresAt: Date,
) {
  const flags = cookieFlags(request);
  reply.setCookie(sessionCookieName, credential, { ...flags, expires: expiresAt });
  reply.setCookie(signedInCookieName, '1', { ...flags, httpOnly: false, expires: expiresAt });
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply) {
  const flags = cookieFlags(request);
  reply.clearCookie(sessionCookieName, flags);
  reply.clearCookie(signedInCookieName, { ...flags, httpOnly: false });
}

function cookieFlags(request: FastifyRequest) {
  // Behind a TLS proxy the connection is plain http, but the browser's Origin says https.
  const isSecure =
    request.protocol === 'https' || String(request.headers.origin ?? '').startsWith('https://');
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: isSecure };
}

/**
 * Refuses a cookie-authenticated request that a foreign page could have sent: an unsafe method
 * needs an allowed Origin (when the browser sends one) and the CSRF token of the cookie.
 */
export function assertCookieRequestAllowed(request: FastifyRequest, credential: string) {
  if (safeMethods.has(request.method)) return;
  assertOriginAllowed(request, { isRequired: false });
  const given = request.headers[csrfHeaderName];
  const expected = Buffer.from(csrfTokenFor(credential));
  const actual = Buffer.from(typeof given === 'string' ? given : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new CadreError(
      'CSRF_TOKEN_INVALID',
      `A request signed in by the session cookie must send the session's CSRF token as "${csrfHeaderName}" (GET /api/auth/session gives it). Programs send "Authorization: Bearer <key>" instead.`,
    );
  }
}

/**
 * Refuses a request whose Origin is neither the app's own (the Host it was sent to) nor in the
 * configured list. `isRequired`: a request without an Origin is refused too (WebSockets, where
 * browsers always send one and no CSRF token can be).
 */
export function assertOriginAllowed(
  request: FastifyRequest,
  { isRequired }: { isRequired: boolean },
) {
  const origin = request.headers.origin;
  if (origin === undefined && !isRequired) return;
  if (origin !== undefined && isOriginAllowed(request, origin)) return;
  throw new CadreError(
    'ORIGIN_NOT_ALLOWED',
    origin === undefined
      ? 'A browser session needs an Origin header here; programs send "Authorization: Bearer <key>".'
      : `Origin ${JSON.stringify(origin.slice(0, 200))} may not use this session: only the app's own origin and CADRE_ALLOWED_ORIGINS may.`,
    { details: { origin: origin?.slice(0, 200) ?? null } },
  );
}

function isOriginAllowed(request: FastifyRequest, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything malformed
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  return (
    parsed.host === request.host.toLowerCase() || request.server.allowedOrigins.has(parsed.origin)
  );
}
