// Read-only views of a task's steps: the list, the progress (steps done of total) and a step's
// transcript. It never changes a step; the state machine in transitions.ts does.
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { TranscriptEntry } from '../agents/index.js';
import { notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export type StepRow = typeof tables.steps.$inferSelect;

/** The kinds of step that count towards progress: the planner's own steps do not. */
export const progressKinds = ['work', 'fix', 'review', 'test', 'merge'] as const;

export interface Progress {
  done: number;
  total: number;
}

/** A task's steps in the order they were created. */
export function listSteps(db: Db, taskId: string): Promise<StepRow[]> {
  return db
    .select()
    .from(tables.steps)
    .where(eq(tables.steps.taskId, taskId))
    .orderBy(asc(tables.steps.createdAt), asc(tables.steps.key));
}

/** Steps done of total for each task (work, fix, review, test and merge steps). */
export async function taskProgress(
  db: Db,
  taskIds: readonly string[],
): Promise<Map<string, Progress>> {
  const progress = new Map<string, Progress>(taskIds.map((id) => [id, { done: 0, total: 0 }]));
  if (taskIds.length === 0) return progress;
  const rows = await db
    .select({
      taskId: tables.steps.taskId,
      done: sql<number>`count(*) FILTER (WHERE ${tables.steps.status} = 'done')::int`,
      total: sql<number>`count(*)::int`,
    })
    .from(tables.steps)
    .where(
      and(
        inArray(tables.steps.taskId, [...taskIds]),
        inArray(tables.steps.kind, [...progressKinds]),
        ne(tables.steps.status, 'superseded'),
      ),
    )
    .groupBy(tables.steps.taskId);
  for (const row of rows) progress.set(row.taskId, { done: row.done, total: row.total });
  return progress;
}

/** Counts the progress of steps already loaded (the current attempt's: superseded rows do not count). */
export function countProgress(steps: readonly Pick<StepRow, 'kind' | 'status'>[]): Progress {
  const counted = steps.filter(
    (step) =>
      (progressKinds as readonly string[]).includes(step.kind) && step.status !== 'superseded',
  );
  return {
    done: counted.filter((step) => step.status === 'done').length,
    total: counted.length,
  };
}

/** One step of the organization, or NOT_FOUND. */
export async function getStep(db: Db, orgId: string, id: string): Promise<StepRow> {
  const [row] = await db
    .select()
    .from(tables.steps)
    .where(and(eq(tables.steps.id, id), eq(tables.steps.orgId, orgId)));
  if (!row) throw notFound('step', id);
  return row;
}

export interface TranscriptRow {
  seq: number;
  createdAt: Date;
  entry: TranscriptEntry;
}

/** A step's transcript: its agent's model turns and tool results, in order. */
export async function listTranscript(db: Db, stepId: string): Promise<TranscriptRow[]> {
  const rows = await db
    .select({
      seq: tables.agentTurns.seq,
      createdAt: tables.agentTurns.createdAt,
      entry: tables.agentTurns.entry,
    })
    .from(tables.agentTurns)
    .where(eq(tables.agentTurns.stepId, stepId))
    .orderBy(asc(tables.agentTurns.seq));
  return rows.map((row) => ({ ...row, entry: row.entry as TranscriptEntry }));
}
