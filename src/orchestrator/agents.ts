// Agent instances and their health: the roles a worker's slots run, saying what each is doing
// and when it last showed life. It records state only; re-queueing a stuck agent's
// step is the lease sweeper's job, never this module's.
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export type AgentRow = typeof tables.agents.$inferSelect;
export { agentStatuses, type AgentStatus } from './agent-status.js';

/** The topic an agent's status changes are published on: `{ agentId, status, stepId }`. */
export const agentTopic = (orgId: string, agentId: string) => `org.${orgId}.agent.${agentId}`;

export interface AgentStart {
  orgId: string;
  role: string;
  workerId: string;
  /** Which of the worker's concurrent slots runs the step (0-based). */
  slot: number;
  stepId: string;
}

/**
 * Records that a worker's agent of `role` started a step; returns the agent's id. An agent is
 * a role on one of a worker's slots (`developer@worker#2`): one statement, no lock, so that
 * bookkeeping never slows the queue.
 */
export async function agentStarted(db: Db, start: AgentStart): Promise<string> {
  const { orgId, role, workerId, slot, stepId } = start;
  const [row] = await db
    .insert(tables.agents)
    .values({
      orgId,
      role,
      workerId,
      name: `${role}@${workerId}#${slot + 1}`,
      status: 'working',
      currentStepId: stepId,
      heartbeatAt: sql`now()`,
    })
    .onConflictDoUpdate({
      target: [tables.agents.orgId, tables.agents.workerId, tables.agents.name],
      set: { status: 'working', currentStepId: stepId, heartbeatAt: sql`now()` },
    })
    .returning({ id: tables.agents.id });
  return row!.id;
}

/** Shows that the agent is alive. */
export async function agentHeartbeat(db: Db, agentId: string): Promise<void> {
  await db
    .update(tables.agents)
    .set({ heartbeatAt: sql`now()` })
    .where(eq(tables.agents.id, agentId));
}

/**
 * Records how the agent's step ended: idle (done, free for more), waiting (on a human or
 * another role; it keeps its step) or error (its step failed).
 */
export async function agentFinished(
  db: Db,
  agentId: string,
  status: 'idle' | 'waiting' | 'error',
): Promise<void> {
  await db
    .update(tables.agents)
    .set({
      status,
      heartbeatAt: sql`now()`,
      ...(status === 'idle' ? { currentStepId: null } : {}),
    })
    .where(eq(tables.agents.id, agentId));
}

/** Marks every agent of a stopping worker stopped; returns how many. */
export async function agentsStopped(db: Db, workerId: string): Promise<number> {
  const rows = await db
    .update(tables.agents)
    .set({ status: 'stopped', currentStepId: null })
    .where(eq(tables.agents.workerId, workerId))
    .returning({ id: tables.agents.id });
  return rows.length;
}

/**
 * Working agents silent for longer than `staleMs` become `error`; returns their steps' ids.
 * Their steps' leases expire too, and the sweeper puts those steps back in the queue.
 */
export async function markStuckAgents(db: Db, staleMs: number): Promise<string[]> {
  const result = await db.execute<{ current_step_id: string | null }>(sql`
    UPDATE agents SET status = 'error'
    WHERE status = 'working'
      AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => ${staleMs / 1000}))
    RETURNING current_step_id`);
  return result.rows.flatMap((row) => (row.current_step_id ? [row.current_step_id] : []));
}

export interface AgentView extends AgentRow {
  /** The step it works on or waits in, with its task, when it has one. */
  step: { key: string; taskId: string; taskTitle: string; goal: string } | null;
}

/** The organization's agents, by role then name, with the step each is on. */
export async function listAgents(db: Db, orgId: string): Promise<AgentView[]> {
  const { agents, steps, tasks } = tables;
  const rows = await db
    .select({
      agent: agents,
      key: steps.key,
      taskId: steps.taskId,
      goal: steps.goal,
      taskTitle: tasks.title,
    })
    .from(agents)
    .leftJoin(steps, eq(steps.id, agents.currentStepId))
    .leftJoin(tasks, eq(tasks.id, steps.taskId))
    .where(eq(agents.orgId, orgId))
    .orderBy(asc(agents.role), asc(agents.name));
  return rows.map(({ agent, key, taskId, goal, taskTitle }) => ({
    ...agent,
    step:
      key && taskId && taskTitle !== null && goal !== null
        ? { key, taskId, taskTitle, goal }
        : null,
  }));
}
