// One interface over the git hosts Cadre delivers to (GitHub, GitLab, Gitea/Forgejo). Each
// client speaks its host's own REST API; none of them ever puts the token in an error or a log.

export type GitHostKind = 'github' | 'gitlab' | 'gitea';

export interface GitHostOptions {
  kind: GitHostKind;
  /** The REST API's root: https://api.github.com, https://gitlab.example/api/v4, https://gitea.example/api/v1. */
  apiUrl: string;
  /** owner/name on GitHub and Gitea; the project's full path (group/sub/name) on GitLab. */
  repository: string;
  token: string;
  /** How long one request may take before it fails with HOST_UNAVAILABLE; default 15 s. */
  timeoutMs?: number;
}

export type PullRequestState = 'open' | 'closed' | 'merged';

/** A pull request (GitHub, Gitea) or merge request (GitLab), by its number in the repository. */
export interface PullRequest {
  number: number;
  url: string;
  state: PullRequestState;
  title: string;
  body: string;
  headBranch: string;
  baseBranch: string;
}

export interface OpenPullRequestInput {
  head: string;
  base: string;
  title: string;
  body: string;
}

/** Where a comment goes: an issue, or a pull request's conversation. */
export interface CommentTarget {
  kind: 'issue' | 'pull-request';
  number: number;
}

/** A comment of a review, with the thread a reply to it belongs in. */
export interface ReviewComment {
  id: string;
  /** What `replyInThread` takes: the comment id on GitHub and Gitea, the discussion id on GitLab. */
  threadId: string;
  body: string;
  author: string;
  path: string | null;
  line: number | null;
}

export interface GitHost {
  readonly kind: GitHostKind;
  /** The open pull request whose head is `head`, if any. */
  findOpenPullRequest(head: string): Promise<PullRequest | null>;
  /**
   * Opens a pull request, or updates the open one of the same head branch (title, body):
   * running it twice never opens two. `created` says which happened.
   */
  openPullRequest(input: OpenPullRequestInput): Promise<PullRequest & { created: boolean }>;
  updatePullRequest(
    number: number,
    change: { title?: string; body?: string },
  ): Promise<PullRequest>;
  getPullRequest(number: number): Promise<PullRequest>;
  /** Comments on an issue or in a pull request's conversation; returns the comment's id. */
  comment(target: CommentTarget, body: string): Promise<{ id: string }>;
  /** Replies in the review thread of a pull request's comment (see ReviewComment.threadId). */
  replyInThread(pullRequest: number, threadId: string, body: string): Promise<{ id: string }>;
  /**
   * The comments of one review (GitHub, Gitea; null on Gitea: its latest review asking for
   * changes, since Gitea's webhook names no review). GitLab has no review objects: the
   * unresolved discussions of the merge request are returned, and `reviewId` is not used.
   */
  listReviewComments(pullRequest: number, reviewId: string | null): Promise<ReviewComment[]>;
}
