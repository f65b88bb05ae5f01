// Gitea's (and Forgejo's) REST API v1: pulls, issue comments and review comments. Gitea has no
// reply-in-thread endpoint for review comments, so a reply is a conversation comment quoting it.
import { z } from 'zod';
import { createHostRequest } from './host-request.js';
import type { GitHost, GitHostOptions, PullRequest } from './types.js';

const GiteaPull = z.object({
  number: z.number(),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  merged: z.boolean().optional(),
  title: z.string(),
  body: z.string().nullable().optional(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
});

const GiteaComment = z.object({ id: z.number() });

const GiteaReview = z.object({ id: z.number(), state: z.string() });

const GiteaReviewComment = z.object({
  id: z.number(),
  body: z.string(),
  user: z.object({ login: z.string() }).nullable().optional(),
  path: z.string().optional(),
  position: z.number().optional(),
});

/** A Gitea client for one repository ("owner/name"). */
export function createGitea(options: Required<GitHostOptions>): GitHost {
  const request = createHostRequest({
    apiUrl: options.apiUrl,
    hostName: 'Gitea',
    token: options.token,
    timeoutMs: options.timeoutMs,
    headers: { authorization: `token ${options.token}` },
  });
  const repo = `/repos/${options.repository.split('/').map(encodeURIComponent).join('/')}`;
  const toPullRequest = (pull: z.infer<typeof GiteaPull>): PullRequest => ({
    number: pull.number,
    url: pull.html_url,
    state: pull.merged ? 'merged' : pull.state,
    title: pull.title,
    body: pull.body ?? '',
    headBranch: pull.head.ref,
    baseBranch: pull.base.ref,
  });

  const host: GitHost = {
    kind: 'gitea',
    async findOpenPullRequest(head) {
      // Gitea's list has no head filter: page through the open ones.
      for (let page = 1; page <= 20; page++) {
        const query = new URLSearchParams({ state: 'open', limit: '50', page: String(page) });
        const pulls = await request('GET', `${repo}/pulls?${query}`, z.array(GiteaPull));
        const pull = pulls.find((candidate) => candidate.head.ref === head);
        if (pull) return toPullRequest(pull);
        if (pulls.length < 50) return null;
      }
      return null;
    },
    async openPullRequest(input) {
      const existing = await host.findOpenPullRequest(input.head);
      if (existing) {
        const updated = await host.updatePullRequest(existing.number, input);
        return { ...updated, created: false };
      }
      const pull = await request('POST', `${repo}/pulls`, GiteaPull, {
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
      });
      return { ...toPullRequest(pull), created: true };
    },
    async updatePullRequest(number, change) {
      const body = { title: change.title, body: change.body };
      return toPullRequest(await request('PATCH', `${repo}/pulls/${number}`, GiteaPull, body));
    },
    async getPullRequest(number) {
      return toPullRequest(await request('GET', `${repo}/pulls/${number}`, GiteaPull));
    },
    async comment(target, body) {
      const path = `${repo}/issues/${target.number}/comments`;
      return { id: String((await request('POST', path, GiteaComment, { body })).id) };
    },
    async replyInThread(pullRequest, threadId, body) {
      const path = `${repo}/issues/${pullRequest}/comments`;
      const quoted = `> In reply to review comment ${threadId}\n\n${body}`;
      return { id: String((await request('POST', path, GiteaComment, { body: quoted })).id) };
    },
    async listReviewComments(pullRequest, reviewId) {
      let id = reviewId;
      if (id === null) {
        const reviews = await request(
          'GET',
          `${repo}/pulls/${pullRequest}/reviews`,
          z.array(GiteaReview),
        );
        const latest = reviews.filter((review) => review.state === 'REQUEST_CHANGES').pop();
        if (!latest) return [];
        id = String(latest.id);
      }
      const path = `${repo}/pulls/${pullRequest}/reviews/${encodeURIComponent(id)}/comments`;
      const comments = await request('GET', path, z.array(GiteaReviewComment));
      return comments.map((comment) => ({
        id: String(comment.id),
        threadId: String(comment.id),
        body: comment.body,
        author: comment.user?.login ?? '',
        path: comment.path ?? null,
        line: comment.position ?? null,
      }));
    },
  };
  return host;
}
