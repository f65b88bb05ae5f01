// GitLab's REST API v4: merge requests, notes and discussions. A project is addressed by its
// URL-encoded full path; an "issue number" is the iid, a pull request's the MR's iid.
import { z } from 'zod';
import { createHostRequest } from './host-request.js';
import type { GitHost, GitHostOptions, PullRequest } from './types.js';

const GitLabMergeRequest = z.object({
  iid: z.number(),
  web_url: z.string(),
  state: z.enum(['opened', 'closed', 'locked', 'merged']),
  title: z.string(),
  description: z.string().nullable(),
  source_branch: z.string(),
  target_branch: z.string(),
});

const GitLabNote = z.object({ id: z.number() });

const GitLabDiscussion = z.object({
  id: z.string(),
  notes: z.array(
    z.object({
      id: z.number(),
      body: z.string(),
      system: z.boolean().optional(),
      resolvable: z.boolean().optional(),
      resolved: z.boolean().optional(),
      author: z.object({ username: z.string() }).nullable().optional(),
      position: z
        .object({
          new_path: z.string().nullable().optional(),
          new_line: z.number().nullable().optional(),
        })
        .nullable()
        .optional(),
    }),
  ),
});

/** A GitLab client for one project (its full path, e.g. "group/sub/app"). */
export function createGitLab(options: Required<GitHostOptions>): GitHost {
  const request = createHostRequest({
    apiUrl: options.apiUrl,
    hostName: 'GitLab',
    token: options.token,
    timeoutMs: options.timeoutMs,
    headers: { 'private-token': options.token },
  });
  const project = `/projects/${encodeURIComponent(options.repository)}`;
  const toPullRequest = (mr: z.infer<typeof GitLabMergeRequest>): PullRequest => ({
    number: mr.iid,
    url: mr.web_url,
    state: mr.state === 'merged' ? 'merged' : mr.state === 'opened' ? 'open' : 'closed',
    title: mr.title,
    body: mr.description ?? '',
    headBranch: mr.source_branch,
    baseBranch: mr.target_branch,
  });

  const host: GitHost = {
    kind: 'gitlab',
    async findOpenPullRequest(head) {
      const query = new URLSearchParams({ state: 'opened', source_branch: head });
      const requests = await request(
        'GET',
        `${project}/merge_requests?${query}`,
        z.array(GitLabMergeRequest),
      );
      const found = requests.find((candidate) => candidate.source_branch === head);
      return found ? toPullRequest(found) : null;
    },
    async openPullRequest(input) {
      const existing = await host.findOpenPullRequest(input.head);
      if (existing) {
        const updated = await host.updatePullRequest(existing.number, input);
        return { ...updated, created: false };
      }
      const created = await request('POST', `${project}/merge_requests`, GitLabMergeRequest, {
        source_branch: input.head,
        target_branch: input.base,
        title: input.title,
        description: input.body,
      });
      return { ...toPullRequest(created), created: true };
    },
    async updatePullRequest(number, change) {
      const body = { title: change.title, description: change.body };
      const path = `${project}/merge_requests/${number}`;
      return toPullRequest(await request('PUT', path, GitLabMergeRequest, body));
    },
    async getPullRequest(number) {
      const path = `${project}/merge_requests/${number}`;
      return toPullRequest(await request('GET', path, GitLabMergeRequest));
    },
    async comment(target, body) {
      const kind = target.kind === 'issue' ? 'issues' : 'merge_requests';
      const path = `${project}/${kind}/${target.number}/notes`;
      return { id: String((await request('POST', path, GitLabNote, { body })).id) };
    },
    async replyInThread(pullRequest, threadId, body) {
      const path = `${project}/merge_requests/${pullRequest}/discussions/${encodeURIComponent(threadId)}/notes`;
      return { id: String((await request('POST', path, GitLabNote, { body })).id) };
    },
    async listReviewComments(pullRequest) {
      const path = `${project}/merge_requests/${pullRequest}/discussions?per_page=100`;
      const discussions = await request('GET', path, z.array(GitLabDiscussion));
      return discussions.flatMap((discussion) => {
        const first = discussion.notes[0];
        if (!first || first.system || !first.resolvable || first.resolved) return [];
        return discussion.notes.map((note) => ({
          id: String(note.id),
          threadId: discussion.id,
          body: note.body,
          author: note.author?.username ?? '',
          path: first.position?.new_path ?? null,
          line: first.position?.new_line ?? null,
        }));
      });
    },
  };
  return host;
}
