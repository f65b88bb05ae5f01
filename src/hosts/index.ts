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
export { parseWebhookEvent, type HostEvent, type HostIssue } from './webhook-events.js';
export {
  deliveryIdOf,
  eventNameOf,
  signatureHeader,
  verifyWebhookSignature,
  type WebhookHeaders,
} from './webhook-signature.js';
export { deliveryRetentionMs, recordWebhookDelivery } from './webhook-deliveries.js';
