// Rows for orchestration tests: an organization with a project, tasks and their steps.
import type { Bus } from '../../src/bus/index.js';
import { tables, type Db } from '../../src/db/index.js';
import {
  appendEvent,
  createProject,
  publishEvents,
  type NewEvent,
} from '../../src/orchestrator/index.js';

/** An organization and a project in it. */
export async function createOrgAndProject(db: Db, name = 'queue') {
  const [org] = await db
    .insert(tables.organizations)
    .values({ name, slug: `${name}-${Math.random().toString(36).slice(2, 10)}` })
    .returning();
  const project = await createProject(db, org!.id, { name });
  return { orgId: org!.id, projectId: project.id };
}

/** A task with `count` pending steps (keys s1, s2 …) of the given role. */
export async function createTaskWithSteps(
  db: Db,
  owner: { orgId: string; projectId: string },
  count: number,
  role = 'developer',
) {
  // Inserted directly: these tests drive the queue themselves, without the planner step.
  const [task] = await db
    .insert(tables.tasks)
    .values({
      orgId: owner.orgId,
      projectId: owner.projectId,
      title: 'queue test',
      description: 'queue test',
    })
    .returning();
  const steps = await db
    .insert(tables.steps)
    .values(
      Array.from({ length: count }, (_, index) => ({
        orgId: owner.orgId,
        taskId: task!.id,
        key: `s${index + 1}`,
        role,
        goal: `step ${index + 1}`,
      })),
    )
    .returning({ id: tables.steps.id });
  return { taskId: task!.id, stepIds: steps.map((step) => step.id) };
}

/** Appends an event to its task's log and publishes it, as the orchestrator does. */
export async function emitEvent(db: Db, bus: Bus, event: NewEvent): Promise<number> {
  const seq = await db.transaction((tx) => appendEvent(tx, event));
  await publishEvents(bus, [{ ...event, seq }]);
  return seq;
}
