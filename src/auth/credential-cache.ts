// Keeps authenticated credentials in memory for a few seconds, so that an API request costs
// no database round trip for its credentials. It must never let a revoked key through:
// Postgres notifies every node of any change that can take rights away (migration 0009),
// and while that channel is down the cache is bypassed.
import type { Database, Listener } from '../db/index.js';
import { lookupCredential } from './authenticate.js';
import type { Principal } from './roles.js';
import { hashToken, sessionPrefix } from './tokens.js';

export const authChannel = 'cadre_auth';

export interface CredentialCache {
  /** The principal behind `token`, from memory when it was seen in the last seconds. */
  authenticate(token: string, now?: Date): Promise<Principal | null>;
  /** Forgets every credential (after a change made in this process, before its notification). */
  clear(): void;
  close(): Promise<void>;
}

export interface CredentialCacheOptions {
  database: Database;
  ttlMs?: number;
  maxEntries?: number;
}

/** A cache listening for changes on its own connection; close() releases it. */
export async function createCredentialCache(
  options: CredentialCacheOptions,
): Promise<CredentialCache> {
  const { database, ttlMs = 30_000, maxEntries = 10_000 } = options;
  const { db } = database;
  const entries = new Map<string, { principal: Principal; validUntil: number }>();
  const clear = () => entries.clear();
  let listener: Listener | null = await database.listen(authChannel, clear, () => {
    // Changes can no longer reach us: from now on every request asks the database.
    listener = null;
    clear();
  });

  return {
    async authenticate(token, now = new Date()) {
      const hash = hashToken(token);
      const cached = entries.get(hash);
      if (listener && cached && cached.validUntil > now.getTime()) return cached.principal;
      const credential = await lookupCredential(db, hash, token.startsWith(sessionPrefix), now);
      if (!credential) return null;
      if (listener) {
        if (entries.size >= maxEntries) entries.clear();
        const ends = credential.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
        entries.set(hash, {
          principal: credential.principal,
          validUntil: Math.min(now.getTime() + ttlMs, ends),
        });
      }
      return credential.principal;
    },
    clear,
    async close() {
      const closing = listener;
      listener = null;
      clear();
      await closing?.close();
    },
  };
}
