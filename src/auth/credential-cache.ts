// Keeps authenticated credentials in memory for a few seconds, so that an API request costs
// no database round trip for its credentials. It must never let a revoked key through:
// Postgres notifies every node of any change that can take rights away (migration 0009),
// and while that channel is down the cache is bypassed. Holders of long-lived connections
// (live WebSockets) hear of each change through onChange and re-check their caller.
import type { Database, Listener } from '../db/index.js';
import { lookupCredential, refreshPrincipal } from './authenticate.js';
import type { Principal } from './roles.js';
import { hashToken, sessionPrefix } from './tokens.js';

export const authChannel = 'cadre_auth';

export interface CredentialCache {
  /** The principal behind `token`, from memory when it was seen in the last seconds. */
  authenticate(token: string, now?: Date): Promise<Principal | null>;
  /** The principal behind `token` if it is in memory; never asks the database. */
  peek(token: string, now?: Date): Principal | null;
  /** Forgets every credential (after a change made in this process, before its notification). */
  clear(): void;
  /** The credential behind an earlier principal as the database sees it now (never cached). */
  refresh(principal: Principal, now?: Date): Promise<Principal | null>;
  /** Calls `listener` whenever rights may have changed anywhere; returns how to stop. */
  onChange(listener: () => void): () => void;
  /** False once changes can no longer reach this node: then holders re-check on their own. */
  isListening(): boolean;
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
  // Bumped by every change: a lookup that ran across a change or an outage is not stored.
  let generation = 0;
  const clear = () => {
    generation += 1;
    entries.clear();
  };
  const changeListeners = new Set<() => void>();
  const changed = () => {
    clear();
    for (const changeListener of changeListeners) changeListener();
  };
  // While the channel is down changes cannot reach us: every request asks the database, and
  // caching resumes only once the channel is subscribed again.
  let isListening = true;
  const listener: Listener = await database.listen(authChannel, changed, {
    onLost: () => {
      isListening = false;
      changed();
    },
    onRestored: () => {
      changed();
      isListening = true;
    },
  });
  let isClosed = false;

  const peek = (token: string, now = new Date()) => {
    const cached = entries.get(hashToken(token));
    return isListening && cached && cached.validUntil > now.getTime() ? cached.principal : null;
  };

  return {
    peek,
    async authenticate(token, now = new Date()) {
      const cached = peek(token, now);
      if (cached) return cached;
      const hash = hashToken(token);
      const startedIn = generation;
      const credential = await lookupCredential(db, hash, token.startsWith(sessionPrefix), now);
      if (!credential) return null;
      if (isListening && startedIn === generation) {
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
    refresh: (principal, now) => refreshPrincipal(db, principal, now),
    onChange(changeListener) {
      changeListeners.add(changeListener);
      return () => changeListeners.delete(changeListener);
    },
    isListening: () => isListening,
    async close() {
      if (isClosed) return;
      isClosed = true;
      isListening = false;
      clear();
      changeListeners.clear();
      await listener.close();
    },
  };
}
