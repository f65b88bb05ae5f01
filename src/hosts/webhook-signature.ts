// Checks that a webhook delivery came from the project's git host: GitHub and Gitea sign the
// raw body with HMAC-SHA256 under the shared secret, GitLab sends the secret itself as a token.
// Every comparison takes constant time; nothing here says why a check failed beyond "invalid".
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CadreError } from '../errors/index.js';
import type { GitHostKind } from './types.js';

export type WebhookHeaders = Record<string, string | string[] | undefined>;

const header = (headers: WebhookHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Throws WEBHOOK_SIGNATURE_INVALID unless `rawBody` carries a valid signature under `secret`. */
export function verifyWebhookSignature(
  kind: GitHostKind,
  headers: WebhookHeaders,
  rawBody: Buffer,
  secret: string | null,
): void {
  const given = header(headers, signatureHeader[kind]);
  if (secret && given !== undefined && isValid(kind, given, rawBody, secret)) return;
  throw new CadreError(
    'WEBHOOK_SIGNATURE_INVALID',
    `The delivery's ${signatureHeader[kind]} header is ${given === undefined ? 'missing' : 'not valid'}. Set the webhook's secret on the host to the one POST /api/projects/:id/webhook-secret returned.`,
  );
}

/** The header that authenticates a delivery of each host. */
export const signatureHeader: Record<GitHostKind, string> = {
  github: 'x-hub-signature-256',
  gitlab: 'x-gitlab-token',
  gitea: 'x-gitea-signature',
};

function isValid(kind: GitHostKind, given: string, rawBody: Buffer, secret: string): boolean {
  if (kind === 'gitlab') return equalInConstantTime(given, secret);
  const hmac = createHmac('sha256', secret).update(rawBody).digest('hex');
  return equalInConstantTime(given, kind === 'github' ? `sha256=${hmac}` : hmac);
}

/** Compares digests of both, so neither the content nor the length leaks through timing. */
function equalInConstantTime(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'compare').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The host's id of a delivery (the same on a redelivery), or null when it sent none. */
export function deliveryIdOf(kind: GitHostKind, headers: WebhookHeaders): string | null {
  const names: Record<GitHostKind, string[]> = {
    github: ['x-github-delivery'],
    gitlab: ['x-gitlab-event-uuid', 'idempotency-key'],
    gitea: ['x-gitea-delivery'],
  };
  for (const name of names[kind]) {
    const value = header(headers, name);
    if (value && value.length <= 200) return value;
  }
  return null;
}

/** The event's name as the host puts it in its header. */
export function eventNameOf(kind: GitHostKind, headers: WebhookHeaders): string {
  if (kind === 'github') return header(headers, 'x-github-event') ?? '';
  if (kind === 'gitlab') return header(headers, 'x-gitlab-event') ?? '';
  return header(headers, 'x-gitea-event-type') ?? header(headers, 'x-gitea-event') ?? '';
}
