// API keys and session tokens: random secrets with a recognisable prefix, stored only as
// SHA-256 hashes. A token is shown once, when it is made, and never again.
import { createHash, randomBytes } from 'node:crypto';

export const apiKeyPrefix = 'cadre_';
export const sessionPrefix = 'cadre_session_';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomText(length: number): string {
  // 256 % 62 leaves a bias; rejecting the high bytes keeps every character equally likely.
  let text = '';
  while (text.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && text.length < length) text += alphabet[byte % 62];
    }
  }
  return text;
}

export interface NewToken {
  token: string;
  /** The first characters, safe to show in lists so that a user can tell keys apart. */
  prefix: string;
  hash: string;
}

/** A new API key: `cadre_` and 40 random characters (about 238 bits). */
export function generateApiKey(): NewToken {
  const token = apiKeyPrefix + randomText(40);
  return { token, prefix: token.slice(0, apiKeyPrefix.length + 8), hash: hashToken(token) };
}

/** A new session token for a password sign-in. */
export function generateSessionToken(): NewToken {
  const token = sessionPrefix + randomText(40);
  return { token, prefix: token.slice(0, sessionPrefix.length + 8), hash: hashToken(token) };
}

/** The stored form of a token. Tokens are long and random, so a fast hash is enough. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const wellFormedToken = /^cadre_(?:session_)?[0-9A-Za-z]{40}$/;

/** Whether `token` has the shape of a key or session token; others need no lookup to refuse. */
export function isWellFormedToken(token: string): boolean {
  return wellFormedToken.test(token);
}
