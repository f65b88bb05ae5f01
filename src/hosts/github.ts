// GitHub's REST API v3 (github.com and GitHub Enterprise Server): pulls, issue comments and
// review comments. The fields read are those of GitHub's published OpenAPI description.
import { z } from 'zod';
import { createHostRequest } from './host-request.js';
import type { GitHost, GitHostOptions, PullRequest } from './types.js';

const GitHubPull = z.object({
  number: z.number(),
  html_url: z.string(),
  state: z.enum(['open', 'closed']),
  merged_at: z.string().nullable().optional(),
  merged: z.boolean().optional(),
  title: z.string(),
  body: z.string().nullable(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
});

const GitHubComment = z.object({ id: z.number() });

const GitHubReviewComment = z.object({
  id: z.number(),
  body: z.string(),
  user: z.object({ login: z.string() }).nullable(),
  path: z.string(),
  line: z.number().nullable().optional(),
});

/** A GitHub client for one repository ("owner/name"). */
export function createGitHub(options: Required<GitHostOptions>): GitHost {
  const request = createHostRequest({
    apiUrl: options.apiUrl,
    hostName: 'GitHub',
    token: options.token,
    timeoutMs: options.timeoutMs,
    headers: {
      authorization: `Bearer ${options.token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    },
  });
  const repo = `/repos/${options.repository.split('/').map(encodeURIComponent).join('/')}`;
  const owner = options.repository.split('/')[0]!;
  const toPullRequest = (pull: z.infer<typeof GitHubPull>): PullRequest => ({
    number: pull.number,
    url: pull.html_url,
    state: pull.merged || pull.merged_at ? 'merged' : pull.state,
    title: pull.title,
    body: pull.body ?? '',
    headBranch: pull.head.ref,
    baseBranch: pull.base.ref,
  });

  const host: GitHost = {
    kind: 'github',
    async findOpenPullRequest(head) {
      const query = new URLSearchParams({ state: 'open', head: `${owner}:${head}` });
      const pulls = await request('GET', `${repo}/pulls?${query}`, z.array(GitHubPull));
      const pull = pulls.find((candidate) => candidate.head.ref === head);
      return pull ? toPullRequest(pull) : null;
    },
    async openPullRequest(input) {
      const existing = await host.findOpenPullRequest(input.head);
      if (existing) {
        const updated = await host.updatePullRequest(existing.number, input);
        return { ...updated, created: false };
      }
      const pull = await request('POST', `${repo}/pulls`, GitHubPull, {
        title: input.title,
        head: input.head,
        base: input.base,
        body: input.body,
      });
      return { ...toPullRequest(pull), created: true };
    },
    async updatePullRequest(number, change) {
      const body = { title: change.title, body: change.body };
      return toPullRequest(await request('PATCH', `${repo}/pulls/${number}`, GitHubPull, body));
    },
    async getPullRequest(number) {
      return toPullRequest(await request('GET', `${repo}/pulls/${number}`, GitHubPull));
    },
    async comment(target, body) {
      // A pull request's conversation is its issue's comments on GitHub.
      const path = `${repo}/issues/${target.number}/comments`;
      const comment = await request('POST', path, GitHubComment, { body });
      return { id: String(comment.id) };
    },
    async replyInThread(pullRequest, threadId, body) {
      const path = `${repo}/pulls/${pullRequest}/comments/${encodeURIComponent(threadId)}/replies`;
      const comment = await request('POST', path, GitHubComment, { body });
      return { id: String(comment.id) };
    },
    async listReviewComments(pullRequest, reviewId) {
      if (reviewId === null) return [];
      const path = `${repo}/pulls/${pullRequest}/reviews/${encodeURIComponent(reviewId)}/comments?per_page=100`;
      const comments = await request('GET', path, z.array(GitHubReviewComment));
      return comments.map((comment) => ({
        id: String(comment.id),
        threadId: String(comment.id),
        body: comment.body,
        author: comment.user?.login ?? '',
        path: comment.path,
        line: comment.line ?? null,
      }));
    },
  };
  return host;
}
