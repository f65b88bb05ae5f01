// What Cadre does with a git host's event, inside the transaction that records the delivery:
// an issue handed over (label or "/cadre" comment) becomes a task linked to it, and a review
// asking for changes on a task's pull request re-opens that task into a fix round.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { HostEvent } from '../hosts/index.js';
import { findTaskByPullRequest, findTasksByIssue, saveTaskHostLink } from './host-links.js';
import type { ProjectRow } from './projects.js';
import { finishedStatuses } from './task-status.js';
import { createTask } from './tasks.js';
import { emit, lockTask, queueFixRound, setTaskStatus, type EventSink } from './transitions.js';

/** Marks every comment Cadre writes, so that Cadre never acts on its own comments. */
export const cadreCommentMarker = '<!-- cadre -->';

/** A line of a comment that hands work to Cadre: "/cadre <request>". */
const commandPattern = /^\/cadre[ \t]+(\S[\s\S]*)$/m;

/** A review comment read from the host, for the developer's fix goal. */
export interface ReviewFeedback {
  threadId: string;
  body: string;
  path: string | null;
  line: number | null;
}

export type IntakeResult =
  | { action: 'task-created'; taskId: string }
  | { action: 'fix-round-queued'; taskId: string }
  | { action: 'ignored'; reason: string };

export interface HostEventOptions {
  project: ProjectRow;
  event: HostEvent;
  /** The comments of a review asking for changes, read from the host before the transaction. */
  feedback?: ReviewFeedback[];
  sink: EventSink;
}

/** Acts on one host event; runs inside the caller's transaction. */
export async function acceptHostEvent(tx: Db, options: HostEventOptions): Promise<IntakeResult> {
  const { project, event, sink } = options;
  if (event.type === 'ignored') return { action: 'ignored', reason: event.reason };
  if (event.type === 'issue-labeled') {
    const open = await openTaskOfIssue(tx, project.id, event.issue.number);
    if (open)
      return { action: 'ignored', reason: `issue #${event.issue.number} already has task ${open}` };
    return createIssueTask(tx, project, event.issue, event.issue.title, event.issue.body, sink);
  }
  if (event.type === 'issue-comment') {
    if (event.body.includes(cadreCommentMarker))
      return { action: 'ignored', reason: "Cadre's own comment" };
    const request = commandPattern.exec(event.body)?.[1]?.trim();
    if (!request) return { action: 'ignored', reason: 'a comment without a /cadre request' };
    if (event.isPullRequest) {
      return reopenForFeedback(tx, {
        project,
        pullRequest: event.issue.number,
        feedback: [{ threadId: '', body: request, path: null, line: null }],
        sender: event.sender,
        sink,
      });
    }
    const title = request.split('\n')[0]!.slice(0, 80);
    const body = `${request}\n\nContext, issue #${event.issue.number} "${event.issue.title}":\n${event.issue.body}`;
    return createIssueTask(tx, project, event.issue, title, body, sink);
  }
  const comments = options.feedback ?? [];
  return reopenForFeedback(tx, {
    project,
    pullRequest: event.pullRequest,
    feedback: [
      ...(event.body.trim() && !comments.some((comment) => comment.body === event.body)
        ? [{ threadId: '', body: event.body, path: null, line: null }]
        : []),
      ...comments,
    ],
    sender: event.sender,
    sink,
  });
}

async function openTaskOfIssue(tx: Db, projectId: string, issue: number) {
  for (const link of await findTasksByIssue(tx, projectId, issue)) {
    const task = await lockTask(tx, link.taskId);
    if (!finishedStatuses.includes(task.status as (typeof finishedStatuses)[number]))
      return task.id;
  }
  return null;
}

async function createIssueTask(
  tx: Db,
  project: ProjectRow,
  issue: { number: number; url: string },
  title: string,
  body: string,
  sink: EventSink,
): Promise<IntakeResult> {
  const task = await createTask(tx, {
    orgId: project.orgId,
    input: {
      projectId: project.id,
      title: title.slice(0, 200) || `Issue #${issue.number}`,
      description: `${body.trim() || title}\n\n(From issue #${issue.number}: ${issue.url})`,
    },
    sink,
  });
  await saveTaskHostLink(tx, {
    taskId: task.id,
    orgId: project.orgId,
    projectId: project.id,
    issueNumber: issue.number,
    issueUrl: issue.url,
  });
  return { action: 'task-created', taskId: task.id };
}

interface ReopenOptions {
  project: ProjectRow;
  pullRequest: number;
  feedback: ReviewFeedback[];
  sender: string;
  sink: EventSink;
}

/** A done task whose pull request got review feedback goes back to its developer. */
async function reopenForFeedback(tx: Db, options: ReopenOptions): Promise<IntakeResult> {
  const { project, pullRequest, feedback, sender, sink } = options;
  const link = await findTaskByPullRequest(tx, project.id, pullRequest);
  if (!link)
    return { action: 'ignored', reason: `pull request #${pullRequest} is not a Cadre task's` };
  const task = await lockTask(tx, link.taskId);
  if (task.status !== 'done') {
    return {
      action: 'ignored',
      reason: `task ${task.id} is ${task.status}; feedback is taken once its last round is delivered`,
    };
  }
  if (feedback.length === 0) return { action: 'ignored', reason: 'a review without comments' };
  const rounds = await tx.execute<{ round: number }>(
    sql`SELECT COALESCE(max(round), 0) AS round FROM steps WHERE task_id = ${task.id}`,
  );
  const round = Number(rounds.rows[0]!.round);
  const lines = feedback.map((item) =>
    item.path
      ? `- ${item.path}${item.line ? `:${item.line}` : ''}: ${item.body}`
      : `- ${item.body}`,
  );
  await emit(tx, sink, task, 'review-feedback', {
    pullRequest,
    reviewer: sender,
    comments: feedback.length,
  });
  await setTaskStatus(tx, sink, task, 'running');
  await tx.update(tables.tasks).set({ finishedAt: null }).where(eq(tables.tasks.id, task.id));
  await queueFixRound(tx, sink, task, round, {
    goal: `A reviewer (${sender}) asked for changes on the pull request. Address each point and commit:\n${lines.join('\n')}`,
    failure: `Review feedback came after ${round + 1} rounds, the most a task runs; open a new task for it.`,
  });
  await saveTaskHostLink(tx, {
    taskId: task.id,
    orgId: task.orgId,
    projectId: task.projectId,
    reviewThreads: [
      ...new Set([...link.reviewThreads, ...feedback.map((item) => item.threadId).filter(Boolean)]),
    ],
  });
  return { action: 'fix-round-queued', taskId: task.id };
}
