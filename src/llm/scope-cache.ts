// Keeps each call's scope (project confidentiality, applicable budgets) in memory, dropped the
// moment Postgres announces a change (triggers in 0003_llm.sql, LISTEN cadre_llm_scope). It
// never serves a cached scope while it is not listening: then every call reads the database.
import pg from 'pg';
import type { Logger } from '../observability/index.js';
import { loadCallScope, type CallScope } from './budgets.js';
import type { Db } from '../db/index.js';
import type { CallContext } from './types.js';

export const scopeChannel = 'cadre_llm_scope';

export interface ScopeCache {
  get(context: CallContext): Promise<CallScope>;
  /** Drops the organization's entries now (for changes made through this process). */
  invalidate(orgId: string): void;
  close(): Promise<void>;
}

export interface ScopeCacheOptions {
  db: Db;
  logger: Logger;
  now: () => number;
  /** A safety net: even without a notification, an entry lives no longer than this. */
  ttlMs?: number;
}

interface Entry {
  scope: CallScope;
  loadedAt: number;
}

/** A scope cache that starts listening on its first use. */
export function createScopeCache({
  db,
  logger,
  now,
  ttlMs = 60_000,
}: ScopeCacheOptions): ScopeCache {
  const pool = (db as Db & { $client: pg.Pool }).$client;
  const entries = new Map<string, Map<string, Entry>>();
  const generations = new Map<string, number>();
  let listener: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let isClosed = false;

  const invalidate = (orgId: string) => {
    entries.delete(orgId);
    generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
  };
  const drop = (client: pg.Client, error?: unknown) => {
    if (listener !== client) return;
    listener = null;
    entries.clear();
    void client.end().catch(() => undefined);
    if (error)
      logger.warn({ err: error }, 'llm scope listener lost; reading scopes from the database');
  };
  const listen = async () => {
    // Its own connection, outside the pool: a listener holds it for the process's life.
    const client = new pg.Client(pool.options);
    await client.connect();
    client.on('notification', (message) => message.payload && invalidate(message.payload));
    client.on('error', (error) => drop(client, error));
    client.on('end', () => drop(client));
    await client.query(`LISTEN ${scopeChannel}`);
    if (isClosed) await client.end();
    else listener = client;
  };
  const ensureListening = () => {
    if (listener || connecting || isClosed) return;
    connecting = listen()
      .catch((error: unknown) => logger.warn({ err: error }, 'llm scope listener failed to start'))
      .finally(() => (connecting = null));
  };

  return {
    invalidate,
    get: async (context) => {
      if (ttlMs === 0) return loadCallScope(db, context);
      ensureListening();
      const key = `${context.projectId ?? ''}:${context.taskId ?? ''}`;
      const cached = entries.get(context.orgId)?.get(key);
      if (listener && cached && now() - cached.loadedAt < ttlMs) return cached.scope;
      const generation = generations.get(context.orgId) ?? 0;
      const scope = await loadCallScope(db, context);
      // Store only when listening and nothing changed while the query ran.
      if (listener && (generations.get(context.orgId) ?? 0) === generation) {
        const forOrg = entries.get(context.orgId) ?? new Map<string, Entry>();
        forOrg.set(key, { scope, loadedAt: now() });
        entries.set(context.orgId, forOrg);
      }
      return scope;
    },
    close: async () => {
      isClosed = true;
      await connecting;
      if (listener) {
        await listener.query(`UNLISTEN ${scopeChannel}`).catch(() => undefined);
        drop(listener);
      }
    },
  };
}
