// Turns a webhook payload of GitHub, GitLab or Gitea into the few events Cadre acts on. Only
// the fields read are checked; anything else a host sends is "ignored", with the reason.
import { z } from 'zod';
import type { GitHostKind } from './types.js';

export interface HostIssue {
  number: number;
  title: string;
  body: string;
  url: string;
}

export type HostEvent =
  /** An issue opened with the intake label, or given it later. */
  | { type: 'issue-labeled'; issue: HostIssue; sender: string; at: string | null }
  /** A comment on an issue or a pull request's conversation. */
  | {
      type: 'issue-comment';
      issue: HostIssue;
      isPullRequest: boolean;
      body: string;
      sender: string;
      at: string | null;
    }
  /** A review asking for changes, or (GitLab) a comment in a merge request's diff. */
  | {
      type: 'changes-requested';
      pullRequest: number;
      headBranch: string;
      reviewId: string | null;
      body: string;
      sender: string;
      at: string | null;
    }
  | { type: 'ignored'; reason: string };

const User = z.object({ login: z.string(), type: z.string().optional() });
const Label = z.object({ name: z.string() });
const Issue = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullable().optional(),
  html_url: z.string(),
  labels: z.array(Label).nullable().optional(),
  updated_at: z.string().nullable().optional(),
  pull_request: z.unknown().optional(),
});
const IssuesPayload = z.object({
  action: z.string(),
  issue: Issue,
  label: Label.optional(),
  sender: User,
});
const IssueCommentPayload = z.object({
  action: z.string(),
  issue: Issue,
  is_pull: z.boolean().optional(),
  comment: z.object({ body: z.string(), created_at: z.string().optional() }),
  sender: User,
});
const PullRequestRef = z.object({ number: z.number(), head: z.object({ ref: z.string() }) });
const GitHubReviewPayload = z.object({
  action: z.string(),
  review: z.object({
    id: z.number(),
    state: z.string(),
    body: z.string().nullable(),
    submitted_at: z.string().nullable().optional(),
  }),
  pull_request: PullRequestRef,
  sender: User,
});
const GiteaReviewPayload = z.object({
  pull_request: PullRequestRef,
  review: z.object({ type: z.string(), content: z.string().nullable().optional() }),
  sender: User,
});
const GitLabIssuePayload = z.object({
  user: z.object({ username: z.string() }),
  object_attributes: z.object({
    iid: z.number(),
    title: z.string(),
    description: z.string().nullable().optional(),
    url: z.string(),
    action: z.string().optional(),
    updated_at: z.string().optional(),
  }),
  labels: z.array(z.object({ title: z.string() })).optional(),
  changes: z
    .object({
      labels: z
        .object({ previous: z.array(z.object({ title: z.string() })) })
        .partial()
        .optional(),
    })
    .partial()
    .optional(),
});
const GitLabNotePayload = z.object({
  user: z.object({ username: z.string() }),
  object_attributes: z.object({
    note: z.string(),
    noteable_type: z.string(),
    type: z.string().nullable().optional(),
    created_at: z.string().optional(),
  }),
  issue: z
    .object({
      iid: z.number(),
      title: z.string(),
      description: z.string().nullable().optional(),
      url: z.string(),
    })
    .optional(),
  merge_request: z.object({ iid: z.number(), source_branch: z.string() }).optional(),
});

/** The event a delivery carries, given the project's intake label. */
export function parseWebhookEvent(
  kind: GitHostKind,
  eventName: string,
  payload: unknown,
  intakeLabel: string,
): HostEvent {
  const parsed =
    kind === 'gitlab'
      ? parseGitLab(eventName, payload, intakeLabel)
      : parseGitHubOrGitea(kind, eventName, payload, intakeLabel);
  return parsed ?? { type: 'ignored', reason: `${kind} ${eventName || 'event'} is not acted on` };
}

function parseGitHubOrGitea(
  kind: 'github' | 'gitea',
  eventName: string,
  payload: unknown,
  intakeLabel: string,
): HostEvent | null {
  const issueOf = (issue: z.infer<typeof Issue>): HostIssue => ({
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    url: issue.html_url,
  });
  if (eventName === 'issues') {
    const event = IssuesPayload.safeParse(payload);
    if (!event.success) return null;
    const { action, issue, label, sender } = event.data;
    const hasLabel = (issue.labels ?? []).some((candidate) => candidate.name === intakeLabel);
    const isIntake =
      (action === 'opened' && hasLabel) ||
      (action === 'labeled' && label?.name === intakeLabel) ||
      (kind === 'gitea' && action === 'label_updated' && hasLabel);
    if (!isIntake)
      return { type: 'ignored', reason: `issue ${action} without the "${intakeLabel}" label` };
    return {
      type: 'issue-labeled',
      issue: issueOf(issue),
      sender: sender.login,
      at: issue.updated_at ?? null,
    };
  }
  if (eventName === 'issue_comment') {
    const event = IssueCommentPayload.safeParse(payload);
    if (!event.success || event.data.action !== 'created') return null;
    const { issue, comment, sender } = event.data;
    if (sender.type === 'Bot') return { type: 'ignored', reason: 'a comment by a bot' };
    return {
      type: 'issue-comment',
      issue: issueOf(issue),
      isPullRequest: event.data.is_pull ?? issue.pull_request !== undefined,
      body: comment.body,
      sender: sender.login,
      at: comment.created_at ?? null,
    };
  }
  if (kind === 'github' && eventName === 'pull_request_review') {
    const event = GitHubReviewPayload.safeParse(payload);
    if (!event.success) return null;
    const { action, review, pull_request: pull, sender } = event.data;
    if (action !== 'submitted' || review.state !== 'changes_requested')
      return { type: 'ignored', reason: `a review ${action} (${review.state})` };
    return {
      type: 'changes-requested',
      pullRequest: pull.number,
      headBranch: pull.head.ref,
      reviewId: String(review.id),
      body: review.body ?? '',
      sender: sender.login,
      at: review.submitted_at ?? null,
    };
  }
  if (
    kind === 'gitea' &&
    ['pull_request_review_rejected', 'pull_request_rejected'].includes(eventName)
  ) {
    const event = GiteaReviewPayload.safeParse(payload);
    if (!event.success) return null;
    const { pull_request: pull, review, sender } = event.data;
    return {
      type: 'changes-requested',
      pullRequest: pull.number,
      headBranch: pull.head.ref,
      reviewId: null,
      body: review.content ?? '',
      sender: sender.login,
      at: null,
    };
  }
  return null;
}

function parseGitLab(eventName: string, payload: unknown, intakeLabel: string): HostEvent | null {
  if (eventName === 'Issue Hook') {
    const event = GitLabIssuePayload.safeParse(payload);
    if (!event.success) return null;
    const { object_attributes: issue, labels = [], changes, user } = event.data;
    const hasLabel = labels.some((label) => label.title === intakeLabel);
    const hadLabel = (changes?.labels?.previous ?? []).some((label) => label.title === intakeLabel);
    const isIntake =
      hasLabel &&
      (issue.action === 'open' ||
        (issue.action === 'update' && changes?.labels !== undefined && !hadLabel));
    if (!isIntake)
      return {
        type: 'ignored',
        reason: `issue ${issue.action ?? 'event'} without the "${intakeLabel}" label`,
      };
    return {
      type: 'issue-labeled',
      issue: {
        number: issue.iid,
        title: issue.title,
        body: issue.description ?? '',
        url: issue.url,
      },
      sender: user.username,
      at: issue.updated_at ?? null,
    };
  }
  if (eventName === 'Note Hook') {
    const event = GitLabNotePayload.safeParse(payload);
    if (!event.success) return null;
    const { object_attributes: note, issue, merge_request: mergeRequest, user } = event.data;
    if (note.noteable_type === 'Issue' && issue) {
      return {
        type: 'issue-comment',
        issue: {
          number: issue.iid,
          title: issue.title,
          body: issue.description ?? '',
          url: issue.url,
        },
        isPullRequest: false,
        body: note.note,
        sender: user.username,
        at: note.created_at ?? null,
      };
    }
    if (note.noteable_type === 'MergeRequest' && mergeRequest && note.type === 'DiffNote') {
      return {
        type: 'changes-requested',
        pullRequest: mergeRequest.iid,
        headBranch: mergeRequest.source_branch,
        reviewId: null,
        body: note.note,
        sender: user.username,
        at: note.created_at ?? null,
      };
    }
    return { type: 'ignored', reason: 'a note that is not on an issue or in a diff' };
  }
  return null;
}
