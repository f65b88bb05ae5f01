// Human approval gates: a merge held for approval, a question an agent asked, a command that
// needs the network. Deciding one moves the task on in the same transaction.
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { CadreError, notFound } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { emit, enqueueReady, lockTask, setTaskStatus, type EventSink } from './transitions.js';

export type ApprovalRow = typeof tables.approvals.$inferSelect;

/** The organization's approvals, newest first, optionally of one task or status. */
export function listApprovals(
  db: Db,
  orgId: string,
  filter: { taskId?: string; status?: string } = {},
) {
  const conditions: SQL[] = [eq(tables.approvals.orgId, orgId)];
  if (filter.taskId) conditions.push(eq(tables.approvals.taskId, filter.taskId));
  if (filter.status) conditions.push(eq(tables.approvals.status, filter.status));
  return db
    .select()
    .from(tables.approvals)
    .where(and(...conditions))
    .orderBy(desc(tables.approvals.createdAt))
    .limit(200);
}

export interface Decision {
  isApproved: boolean;
  answer?: string;
  decidedBy: string;
}

/** Approves or rejects a pending approval and resumes (or fails) what waited for it. */
export async function decideApproval(
  db: Db,
  sink: EventSink,
  orgId: string,
  id: string,
  decision: Decision,
): Promise<ApprovalRow> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(tables.approvals)
      .where(and(eq(tables.approvals.id, id), eq(tables.approvals.orgId, orgId)));
    if (!current) throw notFound('approval', id);
    const task = await lockTask(tx, current.taskId);
    if (current.status !== 'pending') {
      throw new CadreError('INVALID_STATE', `Approval ${id} was already ${current.status}.`, {
        details: { status: current.status },
      });
    }
    const status = decision.isApproved ? 'approved' : 'rejected';
    const [row] = await tx
      .update(tables.approvals)
      .set({
        status,
        answer: decision.answer ?? null,
        decidedBy: decision.decidedBy,
        decidedAt: new Date(),
      })
      .where(eq(tables.approvals.id, id))
      .returning();
    await emit(tx, sink, task, `approval-${status}`, { kind: current.kind, approvalId: id });
    if (current.kind === 'merge') {
      if (!decision.isApproved) {
        await setTaskStatus(
          tx,
          sink,
          task,
          'failed',
          `The merge was rejected${decision.answer ? `: ${decision.answer}` : '.'}`,
        );
        return row!;
      }
      await tx
        .update(tables.steps)
        .set({ status: 'pending' })
        .where(
          and(
            eq(tables.steps.taskId, task.id),
            eq(tables.steps.kind, 'merge'),
            eq(tables.steps.status, 'waiting'),
          ),
        );
    } else if (current.stepId) {
      // The agent that asked resumes from its checkpoint and reads the decision.
      await tx
        .update(tables.steps)
        .set({ status: 'pending' })
        .where(and(eq(tables.steps.id, current.stepId), eq(tables.steps.status, 'waiting')));
    }
    await setTaskStatus(tx, sink, task, 'running');
    await enqueueReady(tx, task.id);
    return row!;
  });
}
