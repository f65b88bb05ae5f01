// Sprints: tasks grouped for a period, shown in the order they can be done (a task never
// before one it depends on, then by priority), with a capacity measured in budget. Task
// dependencies never form a cycle: a change that would close one is refused.
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { getProject } from './projects.js';
import type { TaskRow } from './tasks.js';

const { sprints, tasks } = tables;
export type SprintRow = typeof sprints.$inferSelect;

export interface SprintInput {
  name: string;
  projectId?: string;
  capacityUsd?: number;
  startsAt?: Date;
  endsAt?: Date;
}

/** Creates a sprint, in one of the organization's projects when one is named. */
export async function createSprint(db: Db, orgId: string, input: SprintInput): Promise<SprintRow> {
  if (input.projectId) await getProject(db, orgId, input.projectId);
  const [row] = await db
    .insert(sprints)
    .values({
      orgId,
      projectId: input.projectId ?? null,
      name: input.name,
      capacityUsd: input.capacityUsd === undefined ? null : String(input.capacityUsd),
      startsAt: input.startsAt ?? null,
      endsAt: input.endsAt ?? null,
    })
    .returning();
  return row!;
}

/** The organization's sprints, newest first, optionally of one project. */
export function listSprints(db: Db, orgId: string, filter: { projectId?: string } = {}) {
  const conditions: SQL[] = [eq(sprints.orgId, orgId)];
  if (filter.projectId) conditions.push(eq(sprints.projectId, filter.projectId));
  return db
    .select()
    .from(sprints)
    .where(and(...conditions))
    .orderBy(desc(sprints.createdAt), desc(sprints.id))
    .limit(200);
}

/** One sprint of the organization, or NOT_FOUND. */
export async function getSprint(db: Db, orgId: string, id: string): Promise<SprintRow> {
  const [row] = await db
    .select()
    .from(sprints)
    .where(and(eq(sprints.id, id), eq(sprints.orgId, orgId)));
  if (!row) throw notFound('sprint', id);
  return row;
}

export interface SprintView {
  sprint: SprintRow;
  /** Dependencies first, then higher priority, then older. */
  tasks: TaskRow[];
  spentByTask: Map<string, number>;
  plannedUsd: number;
  spentUsd: number;
}

/** A sprint with its tasks in the order they can be done, and its budget planned and spent. */
export async function getSprintView(db: Db, orgId: string, id: string): Promise<SprintView> {
  const sprint = await getSprint(db, orgId, id);
  const rows = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), eq(tasks.sprintId, id)));
  const spent =
    rows.length === 0
      ? []
      : await db
          .select({
            taskId: tables.llmCalls.taskId,
            costUsd: sql<string>`sum(${tables.llmCalls.costUsd})`,
          })
          .from(tables.llmCalls)
          .where(
            and(
              eq(tables.llmCalls.orgId, orgId),
              inArray(
                tables.llmCalls.taskId,
                rows.map((row) => row.id),
              ),
            ),
          )
          .groupBy(tables.llmCalls.taskId);
  const spentByTask = new Map(spent.map((row) => [row.taskId!, Number(row.costUsd)]));
  return {
    sprint,
    tasks: orderByDependencies(rows),
    spentByTask,
    plannedUsd: sum(rows.map((row) => Number(row.budgetUsd ?? 0))),
    spentUsd: sum([...spentByTask.values()]),
  };
}

const sum = (values: number[]) =>
  Math.round(values.reduce((total, value) => total + value, 0) * 1e8) / 1e8;

type Orderable = Pick<TaskRow, 'id' | 'priority' | 'createdAt' | 'dependsOn'>;

/**
 * Orders tasks so that none comes before a task it depends on (dependencies outside the list
 * are ignored), choosing among the ready ones by priority, then age. DEPENDENCY_CYCLE if the
 * tasks depend on each other in a circle.
 */
export function orderByDependencies<T extends Orderable>(rows: readonly T[]): T[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const waitingFor = new Map(
    rows.map((row) => [row.id, new Set(row.dependsOn.filter((id) => byId.has(id)))]),
  );
  const before = (a: T, b: T) =>
    b.priority - a.priority ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : 1);
  const ordered: T[] = [];
  while (ordered.length < rows.length) {
    const ready = rows.filter((row) => waitingFor.get(row.id)?.size === 0);
    if (ready.length === 0)
      throw cycleError(findCycle(rows.filter((row) => waitingFor.has(row.id))));
    const next = ready.sort(before)[0]!;
    ordered.push(next);
    waitingFor.delete(next.id);
    for (const waiting of waitingFor.values()) waiting.delete(next.id);
  }
  return ordered;
}

/** One cycle among tasks known to contain one, as ids from a task back to itself. */
function findCycle(rows: readonly Pick<TaskRow, 'id' | 'dependsOn'>[]): string[] {
  const edges = new Map(rows.map((row) => [row.id, row.dependsOn]));
  const path: string[] = [];
  const onPath = new Set<string>();
  const visited = new Set<string>();
  const visit = (id: string): string[] | null => {
    if (onPath.has(id)) return [...path.slice(path.indexOf(id)), id];
    if (visited.has(id) || !edges.has(id)) return null;
    visited.add(id);
    path.push(id);
    onPath.add(id);
    for (const next of edges.get(id)!) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(id);
    return null;
  };
  for (const row of rows) {
    const cycle = visit(row.id);
    if (cycle) return cycle;
  }
  return [];
}

function cycleError(cycle: string[]) {
  return new CadreError(
    'DEPENDENCY_CYCLE',
    `These tasks would depend on each other in a circle: ${cycle.join(' → ')}. Remove one of the dependencies.`,
    { details: { cycle } },
  );
}

export interface TaskPlanning {
  sprintId?: string | null;
  priority?: number;
  dependsOn?: string[];
}

/**
 * Sets a task's sprint, priority or dependencies. The sprint and the tasks it depends on must
 * be the organization's (else NOT_FOUND); a dependency that closes a cycle is DEPENDENCY_CYCLE.
 */
export async function planTask(
  db: Db,
  orgId: string,
  id: string,
  changes: TaskPlanning,
): Promise<TaskRow> {
  return db.transaction(async (tx) => {
    // One planner per organization at a time: two changes could each close half a cycle.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`task-plan:${orgId}`}))`);
    const [task] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.id, id), eq(tasks.orgId, orgId)))
      .for('update');
    if (!task) throw notFound('task', id);
    if (changes.sprintId) await getSprint(tx, orgId, changes.sprintId);
    const dependsOn = changes.dependsOn && [...new Set(changes.dependsOn)];
    if (dependsOn) await refuseCycle(tx, orgId, id, dependsOn);
    const [row] = await tx
      .update(tasks)
      .set({
        ...(changes.sprintId === undefined ? {} : { sprintId: changes.sprintId }),
        ...(changes.priority === undefined ? {} : { priority: changes.priority }),
        ...(dependsOn ? { dependsOn } : {}),
        updatedAt: new Date(),
      })
      .where(eq(tasks.id, id))
      .returning();
    if (changes.priority !== undefined) {
      // Steps carry their task's priority into the queue; the ones not yet claimed follow it.
      await tx
        .update(tables.steps)
        .set({ priority: changes.priority })
        .where(
          and(eq(tables.steps.taskId, id), inArray(tables.steps.status, ['pending', 'queued'])),
        );
    }
    return row!;
  });
}

/** NOT_FOUND for a dependency outside the organization; DEPENDENCY_CYCLE for a circle. */
async function refuseCycle(tx: Db, orgId: string, id: string, dependsOn: string[]) {
  if (dependsOn.includes(id)) throw cycleError([id, id]);
  if (dependsOn.length === 0) return;
  const found = await tx
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), inArray(tasks.id, dependsOn)));
  const missing = dependsOn.find((dependency) => !found.some((row) => row.id === dependency));
  if (missing) throw notFound('task', missing);
  const graph = await tx
    .select({ id: tasks.id, dependsOn: tasks.dependsOn })
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), sql`cardinality(${tasks.dependsOn}) > 0`))
    .orderBy(asc(tasks.createdAt));
  const edges = new Map(graph.map((row) => [row.id, row.dependsOn]));
  edges.set(id, dependsOn);
  // A path from one of the new dependencies back to this task closes a cycle.
  const cycle = pathTo(edges, dependsOn, id);
  if (cycle) throw cycleError([id, ...cycle]);
}

/** A path along `edges` from one of `starts` to `target`, or null. */
function pathTo(edges: Map<string, string[]>, starts: string[], target: string): string[] | null {
  const seen = new Set<string>();
  const walk = (id: string): string[] | null => {
    if (id === target) return [id];
    if (seen.has(id)) return null;
    seen.add(id);
    for (const next of edges.get(id) ?? []) {
      const rest = walk(next);
      if (rest) return [id, ...rest];
    }
    return null;
  };
  for (const start of starts) {
    const path = walk(start);
    if (path) return path;
  }
  return null;
}
