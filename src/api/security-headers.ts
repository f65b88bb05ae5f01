// The security headers on every response, the API's, the web app's and the errors' alike: a
// strict Content-Security-Policy (no inline or foreign script), no framing, no sniffing, no
// referrer. Never loosen script-src: the session cookie is only as safe as the page's scripts.
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * What the built web app and the API docs (/docs) need, and nothing more. Scripts, workers
 * (Monaco's, built by Vite as files under /assets) and connections (fetch and the live
 * WebSocket, which 'self' covers) come only from the app's own origin. Styles allow
 * 'unsafe-inline' because Monaco, xterm.js and React Flow inject <style> elements at run time;
 * images and fonts allow data: for the favicon and Monaco's icons.
 */
export const contentSecurityPolicy = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'worker-src': ["'self'"],
};

/** Registers helmet for every route; call it before any other hook so errors carry it too. */
export async function installSecurityHeaders(app: FastifyInstance) {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      // helmet's default upgrade-insecure-requests would break a plain-http LAN install.
      directives: contentSecurityPolicy,
    },
    frameguard: { action: 'deny' },
    // Browsers heed it over https only; other services on sibling hosts are not Cadre's to pin.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
