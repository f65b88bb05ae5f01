// Long-term memory of a project: facts agents chose to keep, found again by full-text search
// in Postgres. Scoped to one organization and project; never shared across organizations.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export interface MemoryScope {
  orgId: string;
  projectId: string;
}

export interface RecalledMemory {
  text: string;
  tags: string[];
  createdAt: string;
}

/** Keeps a fact for later steps and tasks of the project. */
export async function remember(
  db: Db,
  scope: MemoryScope,
  text: string,
  tags: readonly string[] = [],
): Promise<void> {
  await db
    .insert(tables.memories)
    .values({ orgId: scope.orgId, projectId: scope.projectId, text, tags: [...tags] });
}

/** The facts that best match `query` (by its words or a tag), best first. */
export async function recall(
  db: Db,
  scope: MemoryScope,
  query: string,
  limit = 5,
): Promise<RecalledMemory[]> {
  const { memories } = tables;
  const inScope = and(eq(memories.orgId, scope.orgId), eq(memories.projectId, scope.projectId));
  const document = sql`to_tsvector('english', ${memories.text})`;
  const search = sql`websearch_to_tsquery('english', ${query})`;
  const rows = await db
    .select({ text: memories.text, tags: memories.tags, createdAt: memories.createdAt })
    .from(memories)
    .where(and(inScope, sql`(${document} @@ ${search} OR ${query} = ANY(${memories.tags}))`))
    .orderBy(desc(sql`ts_rank(${document}, ${search})`), desc(memories.createdAt))
    .limit(limit);
  return rows.map((row) => ({
    text: row.text,
    tags: row.tags,
    createdAt: row.createdAt.toISOString(),
  }));
}
