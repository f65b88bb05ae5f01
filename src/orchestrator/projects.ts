// Projects: the containers of tasks (and, with the workspace module, of a git repository).
// Every query is scoped to one organization.
import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { finishedStatuses } from './task-status.js';

const { projects, tasks } = tables;
export type ProjectRow = typeof projects.$inferSelect;

export interface ProjectInput {
  name: string;
  description?: string;
  isConfidential?: boolean;
  hasNetwork?: boolean;
  /** The command that runs the tests before a merge; null to detect it. */
  testCommand?: string | null;
  allowUntestedMerge?: boolean;
  /** Given when the project's folder was made before its row (a clone from its upstream). */
  id?: string;
  remoteUrl?: string | null;
  remoteBranch?: string | null;
  deliveryMode?: ProjectRow['deliveryMode'];
  pushBranch?: string | null;
  hostKind?: ProjectRow['hostKind'];
  hostApiUrl?: string | null;
  hostRepository?: string | null;
}

/** Creates a project; a name already used in the organization is a CONFLICT. */
export async function createProject(
  db: Db,
  orgId: string,
  input: ProjectInput,
): Promise<ProjectRow> {
  const [row] = await db
    .insert(projects)
    .values({ orgId, ...input })
    .onConflictDoNothing({ target: [projects.orgId, projects.name] })
    .returning();
  if (!row) throw nameTaken(input.name);
  return row;
}

/** The organization's project of that name, or null. */
export async function findProjectByName(
  db: Db,
  orgId: string,
  name: string,
): Promise<ProjectRow | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.orgId, orgId), eq(projects.name, name)));
  return row ?? null;
}

/** The organization's projects, by name. */
export function listProjects(db: Db, orgId: string): Promise<ProjectRow[]> {
  return db.select().from(projects).where(eq(projects.orgId, orgId)).orderBy(asc(projects.name));
}

/** One project of the organization, or NOT_FOUND. */
export async function getProject(db: Db, orgId: string, id: string): Promise<ProjectRow> {
  let lookup = projectLookups.get(db);
  if (!lookup) projectLookups.set(db, (lookup = prepareProjectLookup(db)));
  const [row] = await lookup.execute({ id, orgId });
  if (!row) throw notFound('project', id);
  return row;
}

// Read on most requests: a named prepared statement is parsed and planned once per connection.
const projectLookups = new WeakMap<Db, ReturnType<typeof prepareProjectLookup>>();

function prepareProjectLookup(db: Db) {
  return db
    .select()
    .from(projects)
    .where(
      and(eq(projects.id, sql.placeholder('id')), eq(projects.orgId, sql.placeholder('orgId'))),
    )
    .prepare('cadre_project_by_id');
}

/** Changes the given fields of a project. */
export async function updateProject(
  db: Db,
  orgId: string,
  id: string,
  changes: Partial<ProjectInput>,
): Promise<ProjectRow> {
  try {
    const [row] = await db
      .update(projects)
      .set({ ...changes, updatedAt: new Date() })
      .where(and(eq(projects.id, id), eq(projects.orgId, orgId)))
      .returning();
    if (!row) throw notFound('project', id);
    return row;
  } catch (error) {
    if (isUniqueViolation(error) && changes.name) throw nameTaken(changes.name);
    throw error;
  }
}

/**
 * Deletes a project with everything stored for it (tasks, steps, events, memories, secrets:
 * the references cascade). Refused with INVALID_STATE while one of its tasks is unfinished:
 * an agent may be writing in its worktree; cancel the tasks first.
 */
export async function deleteProject(db: Db, orgId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Locked, so that no task is added between the check and the delete.
    const [project] = await tx
      .select({ id: projects.id })
      .from(projects)
      .where(and(eq(projects.id, id), eq(projects.orgId, orgId)))
      .for('update');
    if (!project) throw notFound('project', id);
    const unfinished = await tx
      .select({ id: tasks.id, status: tasks.status })
      .from(tasks)
      .where(and(eq(tasks.projectId, id), notInArray(tasks.status, [...finishedStatuses])));
    if (unfinished.length > 0) {
      throw new CadreError(
        'INVALID_STATE',
        `The project has ${unfinished.length} unfinished task${unfinished.length === 1 ? '' : 's'} (${unfinished
          .slice(0, 5)
          .map((task) => task.id)
          .join(
            ', ',
          )}); cancel ${unfinished.length === 1 ? 'it' : 'them'} first (cadre task cancel <id>), then delete the project.`,
        { details: { taskIds: unfinished.map((task) => task.id) } },
      );
    }
    await tx.delete(projects).where(eq(projects.id, id));
  });
}

/** CONFLICT: the name is used by another project of the organization. */
export function nameTaken(name: string) {
  return new CadreError(
    'CONFLICT',
    `A project named "${name}" already exists; choose another name.`,
    {
      details: [{ field: 'name', message: 'already used in this organization' }],
    },
  );
}

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause ?? error;
  return (cause as { code?: string }).code === '23505';
}
