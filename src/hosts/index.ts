export { createGitHost } from './git-host.js';
export type {
  CommentTarget,
  GitHost,
  GitHostKind,
  GitHostOptions,
  OpenPullRequestInput,
  PullRequest,
  PullRequestState,
  ReviewComment,
} from './types.js';
