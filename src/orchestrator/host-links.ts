// Each task's place on its project's git host: the issue it came from, the pull request it
// delivers to, and the review threads waiting for Cadre's reply.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

const { taskHostLinks } = tables;
export type TaskHostLink = typeof taskHostLinks.$inferSelect;

/** The task's link, or null when it has none. */
export async function getTaskHostLink(db: Db, taskId: string): Promise<TaskHostLink | null> {
  const [link] = await db.select().from(taskHostLinks).where(eq(taskHostLinks.taskId, taskId));
  return link ?? null;
}

/** Creates or changes the task's link (only the fields given). */
export async function saveTaskHostLink(
  db: Db,
  link: Pick<TaskHostLink, 'taskId' | 'orgId' | 'projectId'> &
    Partial<Omit<TaskHostLink, 'taskId' | 'orgId' | 'projectId' | 'createdAt' | 'updatedAt'>>,
): Promise<void> {
  const { taskId, orgId, projectId, ...fields } = link;
  await db
    .insert(taskHostLinks)
    .values({ taskId, orgId, projectId, ...fields })
    .onConflictDoUpdate({
      target: taskHostLinks.taskId,
      set: { ...fields, updatedAt: new Date() },
    });
}

/** The task that delivers to pull request `number` of the project, if any. */
export async function findTaskByPullRequest(
  db: Db,
  projectId: string,
  number: number,
): Promise<TaskHostLink | null> {
  const [link] = await db
    .select()
    .from(taskHostLinks)
    .where(
      and(eq(taskHostLinks.projectId, projectId), eq(taskHostLinks.pullRequestNumber, number)),
    );
  return link ?? null;
}

/** The tasks that came from issue `number` of the project. */
export function findTasksByIssue(db: Db, projectId: string, number: number) {
  return db
    .select()
    .from(taskHostLinks)
    .where(and(eq(taskHostLinks.projectId, projectId), eq(taskHostLinks.issueNumber, number)));
}
