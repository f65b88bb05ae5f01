// The webhooks of the fake git host: each host's event names, delivery headers and payload
// shapes (the fields Cadre reads, as GitHub, GitLab and Gitea document them), signed the way
// each host signs them.
import { createHmac, randomUUID } from 'node:crypto';
import type { FakeComment, FakeIssue, FakeRepository } from './git-host.js';

export type FakeHostEvent =
  | { type: 'issue-opened'; issue: FakeIssue }
  | { type: 'issue-comment'; issue: FakeIssue; comment: FakeComment }
  | {
      type: 'changes-requested';
      pull: FakeIssue;
      reviewId: number;
      body: string;
      author: string;
      comments: FakeComment[];
    };

/** One webhook sent: what went out and what Cadre answered. */
export interface WebhookDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  answer: unknown;
}

interface Hook {
  url: string;
  secret: string;
}

/** Sends webhooks for the fake host at `origin()`. */
export function createWebhookSender(origin: () => string) {
  async function post(url: string, headers: Record<string, string>, body: string) {
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { url, headers, body, status: response.status, answer };
  }

  return {
    /** Sends the hook(s) an event causes on this repository's host; one delivery per hook. */
    async send(repo: FakeRepository, event: FakeHostEvent, hook: Hook): Promise<WebhookDelivery> {
      const { name, payload } = payloadOf(repo, event, origin());
      const body = JSON.stringify(payload);
      return post(hook.url, signedHeaders(repo.kind, name, body, hook.secret), body);
    },
    resend: (delivery: WebhookDelivery) => post(delivery.url, delivery.headers, delivery.body),
  };
}

function signedHeaders(kind: FakeRepository['kind'], event: string, body: string, secret: string) {
  const id = randomUUID();
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const common = { 'content-type': 'application/json' };
  if (kind === 'github') {
    return {
      ...common,
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': `sha256=${hmac}`,
    };
  }
  if (kind === 'gitlab') {
    return {
      ...common,
      'x-gitlab-event': event,
      'x-gitlab-event-uuid': id,
      'idempotency-key': id,
      'x-gitlab-token': secret,
    };
  }
  // Gitea names review events twice: a family in X-Gitea-Event, the exact type in -Event-Type.
  const family = event.startsWith('pull_request_review_') ? event.replace('_review', '') : event;
  return {
    ...common,
    'x-gitea-event': family,
    'x-gitea-event-type': event,
    'x-gitea-delivery': id,
    'x-gitea-signature': hmac,
  };
}

function payloadOf(repo: FakeRepository, event: FakeHostEvent, origin: string) {
  const now = new Date().toISOString();
  const web = `${origin}/web/${repo.path}`;
  const user = (login: string) => ({ login, id: login.length, type: 'User' });
  if (repo.kind === 'gitlab') {
    const project = { path_with_namespace: repo.path, web_url: web };
    if (event.type === 'issue-opened') {
      return {
        name: 'Issue Hook',
        payload: {
          object_kind: 'issue',
          event_type: 'issue',
          user: { username: event.issue.author },
          project,
          object_attributes: {
            iid: event.issue.number,
            title: event.issue.title,
            description: event.issue.body,
            url: `${web}/-/issues/${event.issue.number}`,
            action: 'open',
            state: 'opened',
            created_at: now,
            updated_at: now,
          },
          labels: event.issue.labels.map((title) => ({ title })),
        },
      };
    }
    if (event.type === 'issue-comment') {
      return {
        name: 'Note Hook',
        payload: {
          object_kind: 'note',
          event_type: 'note',
          user: { username: event.comment.author },
          project,
          object_attributes: {
            id: event.comment.id,
            note: event.comment.body,
            noteable_type: event.issue.isPull ? 'MergeRequest' : 'Issue',
            created_at: now,
            updated_at: now,
          },
          ...(event.issue.isPull
            ? { merge_request: { iid: event.issue.number, source_branch: event.issue.head } }
            : {
                issue: {
                  iid: event.issue.number,
                  title: event.issue.title,
                  description: event.issue.body,
                  url: `${web}/-/issues/${event.issue.number}`,
                },
              }),
        },
      };
    }
    // GitLab has no review event: each comment of the review is a diff note of its own; the
    // first one is enough for Cadre, which reads the open discussions then.
    const first = event.comments[0]!;
    return {
      name: 'Note Hook',
      payload: {
        object_kind: 'note',
        event_type: 'note',
        user: { username: event.author },
        project,
        object_attributes: {
          id: first.id,
          note: first.body,
          noteable_type: 'MergeRequest',
          type: 'DiffNote',
          discussion_id: first.discussionId,
          position: { new_path: first.path, new_line: first.line },
          created_at: now,
          updated_at: now,
        },
        merge_request: { iid: event.pull.number, source_branch: event.pull.head },
      },
    };
  }
  const repository = { full_name: repo.path, html_url: web };
  const issueOf = (issue: FakeIssue) => ({
    number: issue.number,
    title: issue.title,
    body: issue.body,
    html_url: `${web}/issues/${issue.number}`,
    labels: issue.labels.map((name) => ({ name })),
    user: user(issue.author),
    created_at: now,
    updated_at: now,
    ...(issue.isPull ? { pull_request: { html_url: `${web}/pull/${issue.number}` } } : {}),
  });
  if (event.type === 'issue-opened') {
    return {
      name: 'issues',
      payload: {
        action: 'opened',
        ...(repo.kind === 'gitea' ? { number: event.issue.number } : {}),
        issue: issueOf(event.issue),
        repository,
        sender: user(event.issue.author),
      },
    };
  }
  if (event.type === 'issue-comment') {
    return {
      name: 'issue_comment',
      payload: {
        action: 'created',
        issue: issueOf(event.issue),
        comment: {
          id: event.comment.id,
          body: event.comment.body,
          user: user(event.comment.author),
          created_at: now,
          updated_at: now,
        },
        ...(repo.kind === 'gitea' ? { is_pull: event.issue.isPull } : {}),
        repository,
        sender: user(event.comment.author),
      },
    };
  }
  const pullRequest = {
    number: event.pull.number,
    html_url: `${web}/pull/${event.pull.number}`,
    head: { ref: event.pull.head },
    base: { ref: event.pull.base },
  };
  if (repo.kind === 'github') {
    return {
      name: 'pull_request_review',
      payload: {
        action: 'submitted',
        review: {
          id: event.reviewId,
          state: 'changes_requested',
          body: event.body,
          user: user(event.author),
          submitted_at: now,
        },
        pull_request: pullRequest,
        repository,
        sender: user(event.author),
      },
    };
  }
  return {
    name: 'pull_request_review_rejected',
    payload: {
      action: 'reviewed',
      number: event.pull.number,
      pull_request: pullRequest,
      review: { type: 'pull_request_review_rejected', content: event.body },
      repository,
      sender: user(event.author),
    },
  };
}
