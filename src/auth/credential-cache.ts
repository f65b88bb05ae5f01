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
  // Bumped by every clear: a lookup that ran across a change or an outage is not stored.
  let generation = 0;
  const clear = () => {
    generation++;
    entries.clear();
  };
  // While the channel is down changes cannot reach us: every request asks the database, and
  // caching resumes only once the channel is subscribed again.
  let isListening = true;
  const listener: Listener = await database.listen(authChannel, clear, {
    onLost: () => {
      isListening = false;
      clear();
    },
    onRestored: () => {
      clear();
      isListening = true;
    },
  });
  let isClosed = false;

  return {
    async authenticate(token, now = new Date()) {
      const hash = hashToken(token);
      const cached = entries.get(hash);
      if (isListening && cached && cached.validUntil > now.getTime()) return cached.principal;
      const before = generation;
      const credential = await lookupCredential(db, hash, token.startsWith(sessionPrefix), now);
      if (!credential) return null;
      if (isListening && generation === before) {
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
      if (isClosed) return;
      isClosed = true;
      isListening = false;
      clear();
      await listener.close();
    },
  };
}
