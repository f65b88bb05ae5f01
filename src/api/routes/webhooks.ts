// POST /api/hooks/:projectId/{github|gitlab|gitea}: a git host's webhook deliveries. No API key:
// the signature over the raw body (or GitLab's token) under the project's webhook secret is the
// credential. A delivery is acted on once: its id is recorded in the transaction that acts.
// The secret is made by POST /api/projects/:id/webhook-secret (host-settings.ts).
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getProjectSecret } from '../../auth/index.js';
import { tables } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import {
  deliveryIdOf,
  eventNameOf,
  parseWebhookEvent,
  recordWebhookDelivery,
  verifyWebhookSignature,
  type HostEvent,
} from '../../hosts/index.js';
import {
  acceptHostEvent,
  loadProjectHost,
  publishEvents,
  type IntakeResult,
  type ProjectRow,
  type PublishedEvent,
  type ReviewFeedback,
} from '../../orchestrator/index.js';
import type { SecretDeps } from '../app.js';

/**
 * How long one request for a review's comments may take while the host waits for the answer:
 * GitHub gives a delivery 10 s. Past it the review's own text still starts the fix round.
 */
const reviewCommentsTimeoutMs = 4_000;

/** Deliveries whose payload carries a time older than this are refused (a late replay). */
export const webhookMaxAgeMs = 60 * 60 * 1000;

const HookParams = z.object({
  projectId: z.string(),
  kind: z.enum(['github', 'gitlab', 'gitea']),
});

const HookAnswer = z.object({
  action: z.enum(['task-created', 'fix-round-queued', 'ignored']),
  taskId: z.string().optional(),
  reason: z.string().optional(),
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const webhookRoutes: FastifyPluginAsyncZod<SecretDeps & { now?: () => Date }> = async (
  app,
  deps,
) => {
  const { db } = deps.database;
  const now = deps.now ?? (() => new Date());

  // The signature is over the bytes as sent: this route (and only it, the plugin being its
  // own context) takes JSON bodies as a raw buffer and parses them after the check.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/api/hooks/:projectId/:kind',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['webhooks'],
        params: HookParams,
        response: { 200: HookAnswer, 202: HookAnswer },
      },
    },
    async (request, reply) => {
      const { projectId, kind } = request.params;
      const project = uuidPattern.test(projectId) ? await findProject(projectId) : null;
      const secret =
        project && project.hostKind === kind
          ? await getProjectSecret(db, deps.secrets, {
              orgId: project.orgId,
              projectId: project.id,
              kind: 'webhook-secret',
            })
          : null;
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      // An unknown project, another host kind and a wrong secret answer alike.
      verifyWebhookSignature(kind, request.headers, rawBody, secret);
      const deliveryId = deliveryIdOf(kind, request.headers);
      if (!deliveryId) {
        throw new CadreError(
          'WEBHOOK_PAYLOAD_INVALID',
          `The delivery has no delivery id header; Cadre needs it to act on each delivery once. Send it as ${kind} does.`,
        );
      }
      const eventName = eventNameOf(kind, request.headers);
      const event = parseWebhookEvent(
        kind,
        eventName,
        parseJson(rawBody),
        project!.hostIntakeLabel,
      );
      refuseStale(event);

      const feedback = await reviewFeedback(project!, event);
      const events: PublishedEvent[] = [];
      const result = await db.transaction(async (tx): Promise<IntakeResult> => {
        const isNew = await recordWebhookDelivery(
          tx,
          {
            projectId: project!.id,
            deliveryId,
            hostKind: kind,
            event: eventName.slice(0, 100),
          },
          now(),
        );
        if (!isNew) {
          throw new CadreError(
            'WEBHOOK_REPLAYED',
            `Delivery ${deliveryId} was received before and is not acted on again.`,
          );
        }
        return acceptHostEvent(tx, {
          project: project!,
          event,
          feedback,
          sink: (published) => void events.push(published),
        });
      });
      if (deps.bus) await publishEvents(deps.bus, events);
      request.log.info(
        { projectId, kind, deliveryId, eventName, action: result.action },
        'webhook delivery',
      );
      return reply.status(result.action === 'ignored' ? 200 : 202).send(result);
    },
  );

  async function findProject(id: string): Promise<ProjectRow | null> {
    const [row] = await db.select().from(tables.projects).where(eq(tables.projects.id, id));
    return row ?? null;
  }

  function refuseStale(event: HostEvent) {
    const at = 'at' in event && event.at ? Date.parse(event.at) : NaN;
    if (Number.isNaN(at) || now().getTime() - at <= webhookMaxAgeMs) return;
    throw new CadreError(
      'WEBHOOK_STALE',
      `The delivery is about an event of ${new Date(at).toISOString()}, older than ${webhookMaxAgeMs / 60_000} minutes; it is not acted on. Repeat the action on the host instead of redelivering it.`,
    );
  }

  /** The comments of a review asking for changes, read from the host (none when it fails). */
  async function reviewFeedback(project: ProjectRow, event: HostEvent): Promise<ReviewFeedback[]> {
    if (event.type !== 'changes-requested') return [];
    const host = await loadProjectHost(db, deps.secrets, project, {
      timeoutMs: reviewCommentsTimeoutMs,
    });
    if (!host) return [];
    try {
      const comments = await host.listReviewComments(event.pullRequest, event.reviewId);
      return comments.map(({ threadId, body, path, line }) => ({ threadId, body, path, line }));
    } catch (error) {
      // The review's own text still starts the fix round; its line comments are not read.
      const code = error instanceof CadreError ? error.code : 'INTERNAL';
      app.log.warn({ projectId: project.id, code }, 'review comments unreadable');
      return [];
    }
  }
};

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new CadreError(
      'WEBHOOK_PAYLOAD_INVALID',
      'The delivery body is not JSON: set the webhook content type to application/json on the host.',
    );
  }
}
