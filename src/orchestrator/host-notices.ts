// Cadre's comments on the git host, sent after the commit that caused them, never inside a
// transaction: on the issue a task came from when its plan is ready, when it waits for a
// human, and when its pull request is open; in the review threads a fix round answered. Each
// comment is claimed in host_comments first, so it is posted once however many processes
// hear the event; a comment the host refused is released for the next try.
import { and, eq } from 'drizzle-orm';
import type { SecretBox } from '../auth/index.js';
import type { Bus, Subscription } from '../bus/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { CadreError } from '../errors/index.js';
import type { GitHost } from '../hosts/index.js';
import type { Logger } from '../observability/index.js';
import type { PullRequestDelivery } from './deliver.js';
import { cadreCommentMarker } from './host-intake.js';
import { getTaskHostLink, saveTaskHostLink } from './host-links.js';
import { loadProjectHost } from './project-host.js';
import type { ProjectRow } from './projects.js';
import { taskPageUrl } from './pull-request-body.js';
import type { TaskRow } from './tasks.js';

/** Posts `post` unless a comment of this topic was posted for the task already. */
async function postOnce(
  db: Db,
  taskId: string,
  topic: string,
  post: () => Promise<{ id: string }>,
) {
  const claimed = await db
    .insert(tables.hostComments)
    .values({ taskId, topic })
    .onConflictDoNothing()
    .returning({ topic: tables.hostComments.topic });
  if (claimed.length === 0) return;
  try {
    const { id } = await post();
    await db
      .update(tables.hostComments)
      .set({ commentId: id })
      .where(and(eq(tables.hostComments.taskId, taskId), eq(tables.hostComments.topic, topic)));
  } catch (error) {
    await db
      .delete(tables.hostComments)
      .where(and(eq(tables.hostComments.taskId, taskId), eq(tables.hostComments.topic, topic)));
    throw error;
  }
}

const comment = (text: string) => `${cadreCommentMarker}\n${text}`;

/** Tells the host a task's pull request is open or updated. */
export async function notifyPullRequest(
  db: Db,
  services: { secrets: SecretBox },
  options: { project: ProjectRow; task: TaskRow; pull: PullRequestDelivery },
) {
  const { project, task, pull } = options;
  const host = await loadProjectHost(db, services.secrets, project);
  const link = await getTaskHostLink(db, task.id);
  if (!host || !link) return;
  if (link.issueNumber !== null) {
    const issue = link.issueNumber;
    await postOnce(db, task.id, `pull-request:${pull.number}`, () =>
      host.comment(
        { kind: 'issue', number: issue },
        comment(`Cadre opened a pull request for this issue: ${pull.url}`),
      ),
    );
  }
  if (pull.isCreated) return;
  const answer = `Addressed in ${pull.commit.slice(0, 12)}; Cadre's tests passed on it and the pull request is updated.`;
  for (const thread of link.reviewThreads) {
    await postOnce(db, task.id, `thread:${thread}:${pull.commit}`, () =>
      host.replyInThread(pull.number, thread, comment(answer)),
    );
  }
  if (link.reviewThreads.length === 0) {
    await postOnce(db, task.id, `updated:${pull.commit}`, () =>
      host.comment({ kind: 'pull-request', number: pull.number }, comment(answer)),
    );
  }
  // Only the threads answered: feedback that came in meanwhile waits for its own round.
  const answered = new Set(link.reviewThreads);
  const current = (await getTaskHostLink(db, task.id))?.reviewThreads ?? [];
  await saveTaskHostLink(db, {
    taskId: task.id,
    orgId: task.orgId,
    projectId: task.projectId,
    reviewThreads: current.filter((thread) => !answered.has(thread)),
  });
}

export interface HostNotifierOptions {
  db: Db;
  bus: Bus;
  secrets: SecretBox;
  logger: Logger;
  /** Where people reach Cadre, for the task link. */
  publicUrl: string;
}

/**
 * Comments on the issue of a task that came from one when its plan is ready and when it
 * waits for a human. Listens to every task's events; tasks without an issue cost one lookup.
 */
export async function startHostNotifier(options: HostNotifierOptions): Promise<Subscription> {
  const { db, bus, secrets, logger, publicUrl } = options;
  return bus.subscribe('org.*.task.*', async ({ topic, payload }) => {
    const type = (payload as { type?: unknown } | null)?.type;
    if (type !== 'plan-accepted' && type !== 'approval-requested') return;
    const taskId = topic.split('.')[3]!;
    try {
      const link = await getTaskHostLink(db, taskId);
      if (!link || link.issueNumber === null) return;
      const [row] = await db
        .select({ project: tables.projects })
        .from(tables.projects)
        .where(eq(tables.projects.id, link.projectId));
      const host = row && (await loadProjectHost(db, secrets, row.project));
      if (!host) return;
      const data = (payload as { data?: { summary?: unknown; steps?: unknown } }).data ?? {};
      await postOnce(db, taskId, type, () => post(host, link.issueNumber!, taskId, type, data));
    } catch (error) {
      logger.warn(
        { taskId, code: error instanceof CadreError ? error.code : 'INTERNAL' },
        'the git host was not told about the task',
      );
    }
  });

  function post(
    host: GitHost,
    issue: number,
    taskId: string,
    type: string,
    data: { summary?: unknown; steps?: unknown },
  ) {
    const text =
      type === 'plan-accepted'
        ? `Cadre has a plan for this issue${typeof data.summary === 'string' ? `: ${data.summary}` : '.'} (${data.steps === 1 ? '1 step' : `${String(data.steps ?? '?')} steps`})`
        : 'Cadre is waiting for a human to approve merging the work for this issue.';
    const page = taskPageUrl(publicUrl, taskId);
    return host.comment(
      { kind: 'issue', number: issue },
      comment(`${text}

[The task in Cadre](${page})`),
    );
  }
}
