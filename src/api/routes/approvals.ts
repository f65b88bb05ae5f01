// /api/approvals: the human gates of the organization's tasks (a held merge, an agent's
// question, a command that needs the network), listed and decided. Deciding resumes or fails
// the task in the same transaction (see src/orchestrator/approvals.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../../auth/index.js';
import { tables } from '../../db/index.js';
import { CadreError } from '../../errors/index.js';
import {
  decideApproval,
  finishedStatuses,
  getTask,
  listApprovals,
  publishEvents,
  type ApprovalRow,
  type PublishedEvent,
  type TaskStatus,
} from '../../orchestrator/index.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import {
  Approval,
  ApprovalDecision,
  ApprovalList,
  ApprovalQuery,
  ApprovalStatus,
  IdParams,
} from '../schemas.js';

/** The API's view of an approval row. */
export function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    taskId: row.taskId,
    stepId: row.stepId,
    kind: Approval.shape.kind.parse(row.kind),
    question: row.question,
    status: ApprovalStatus.parse(row.status),
    answer: row.answer,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export const approvalRoutes: FastifyPluginAsyncZod<AppDeps> = async (
  app,
  { database: { db }, bus },
) => {
  const tags = ['approvals'];

  app.get(
    '/api/approvals',
    {
      config: { permission: 'tasks:read' },
      schema: { tags, querystring: ApprovalQuery, response: { 200: ApprovalList } },
    },
    async (request) => {
      const rows = await listApprovals(db, principalOf(request).orgId, request.query);
      return { items: rows.map(toApproval) };
    },
  );

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(
      `/api/approvals/:id/${verdict}`,
      {
        config: { permission: 'tasks:write' },
        schema: { tags, params: IdParams, body: ApprovalDecision, response: { 200: Approval } },
      },
      async (request) => {
        const principal = principalOf(request);
        const { id } = request.params;
        await refuseFinishedTask(principal.orgId, id);
        const events: PublishedEvent[] = [];
        const row = await decideApproval(
          db,
          (event) => void events.push(event),
          principal.orgId,
          id,
          {
            isApproved: verdict === 'approve',
            answer: request.body?.answer,
            decidedBy: principal.userId ?? principal.credentialId,
          },
        );
        if (bus) await publishEvents(bus, events);
        await recordAudit(db, principal, {
          action: `approval-${row.status}`,
          targetType: 'approval',
          targetId: row.id,
          data: { taskId: row.taskId, kind: row.kind },
          requestId: request.id,
        });
        return toApproval(row);
      },
    );
  }

  /** A finished task's gate cannot be decided: deciding would start the task again. */
  async function refuseFinishedTask(orgId: string, id: string) {
    const [approval] = await db
      .select()
      .from(tables.approvals)
      .where(and(eq(tables.approvals.id, id), eq(tables.approvals.orgId, orgId)));
    // A missing or decided approval is decideApproval's to refuse.
    if (approval?.status !== 'pending') return;
    const task = await getTask(db, orgId, approval.taskId);
    if (finishedStatuses.includes(task.status as TaskStatus)) {
      throw new CadreError(
        'INVALID_STATE',
        `Approval ${approval.id} belongs to task ${task.id}, which is ${task.status}; it can no longer be decided.`,
        { details: { taskStatus: task.status } },
      );
    }
  }
};
