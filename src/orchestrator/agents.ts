// Agent instances and their health: the roles a worker's slots run, saying what each is doing
// and when it last showed life. It records state only; re-queueing a stuck agent's
// step is the lease sweeper's job, never this module's.
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';

export type AgentRow = typeof tables.agents.$inferSelect;
export { agentStatuses, type AgentStatus } from './agent-status.js';

/** How often a worker's agents show life, unless the worker is told otherwise. */
export const defaultHeartbeatMs = 3_000;
/** A working agent silent for longer than three heartbeats is shown as unhealthy. */
export const agentSilenceMs = 3 * defaultHeartbeatMs;

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
 * Records that a worker's agent of `role` started a step, on the agent and on the step; returns
 * the agent's id. An agent is a role on one of a worker's slots (`developer@worker#2`): one
 * statement, no lock, so that bookkeeping never slows the queue.
 */
export async function agentStarted(db: Db, start: AgentStart): Promise<string> {
  const { orgId, role, workerId, slot, stepId } = start;
  const result = await db.execute<{ id: string }>(sql`
    WITH agent AS (
      INSERT INTO agents (org_id, role, worker_id, name, status, current_step_id, heartbeat_at)
      VALUES (${orgId}, ${role}, ${workerId}, ${`${role}@${workerId}#${slot + 1}`}, 'working',
        ${stepId}, now())
      ON CONFLICT (org_id, worker_id, name) DO UPDATE
        SET status = 'working', current_step_id = excluded.current_step_id, heartbeat_at = now()
      RETURNING id
    ), step AS (
      UPDATE steps SET agent_id = (SELECT id FROM agent) WHERE id = ${stepId}
    )
    SELECT id FROM agent`);
  return result.rows[0]!.id;
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
  /** False for a working agent that has been silent for longer than `agentSilenceMs`. */
  isHealthy: boolean;
}

/** The organization's agents, by role then name, with the step each is on. */
export async function listAgents(db: Db, orgId: string): Promise<AgentView[]> {
  return selectAgents(db, eq(tables.agents.orgId, orgId));
}

/** One agent of the organization, or null. */
export async function getAgent(db: Db, orgId: string, id: string): Promise<AgentView | null> {
  const { agents } = tables;
  const [agent] = await selectAgents(db, and(eq(agents.orgId, orgId), eq(agents.id, id))!);
  return agent ?? null;
}

async function selectAgents(db: Db, where: SQL): Promise<AgentView[]> {
  const { agents, steps, tasks } = tables;
  // The database's clock, as markStuckAgents uses: an API node's clock may differ.
  const isSilent = sql`${agents.heartbeatAt} IS NULL
    OR ${agents.heartbeatAt} < now() - make_interval(secs => ${agentSilenceMs / 1000})`;
  const rows = await db
    .select({
      agent: agents,
      key: steps.key,
      taskId: steps.taskId,
      goal: steps.goal,
      taskTitle: tasks.title,
      isHealthy: sql<boolean>`NOT (${agents.status} = 'working' AND (${isSilent}))`,
    })
    .from(agents)
    .leftJoin(steps, eq(steps.id, agents.currentStepId))
    .leftJoin(tasks, eq(tasks.id, steps.taskId))
    .where(where)
    .orderBy(asc(agents.role), asc(agents.name));
  return rows.map(({ agent, key, taskId, goal, taskTitle, isHealthy }) => ({
    ...agent,
    step:
      key && taskId && taskTitle !== null && goal !== null
        ? { key, taskId, taskTitle, goal }
        : null,
    isHealthy,
  }));
}

/** A step an agent ran, with its task's title. */
export interface AgentStepRow {
  id: string;
  key: string;
  kind: string;
  role: string;
  status: string;
  taskId: string;
  taskTitle: string;
  /** When the agent's attempt was claimed. */
  startedAt: Date | null;
  /** When the step ended, for a step that did (its updated_at: nothing changes it after). */
  finishedAt: Date | null;
}

const endedStepStatuses = ['done', 'failed', 'dead', 'cancelled'];

/** The steps the agent ran last, newest first. */
export async function listAgentSteps(
  db: Db,
  orgId: string,
  agentId: string,
  limit = 20,
): Promise<AgentStepRow[]> {
  const { steps, tasks } = tables;
  const rows = await db
    .select({
      id: steps.id,
      key: steps.key,
      kind: steps.kind,
      role: steps.role,
      status: steps.status,
      taskId: steps.taskId,
      taskTitle: tasks.title,
      startedAt: steps.claimedAt,
      updatedAt: steps.updatedAt,
    })
    .from(steps)
    .innerJoin(tasks, eq(tasks.id, steps.taskId))
    .where(and(eq(steps.agentId, agentId), eq(steps.orgId, orgId)))
    .orderBy(desc(steps.claimedAt), desc(steps.id))
    .limit(limit);
  return rows.map(({ updatedAt, ...row }) => ({
    ...row,
    finishedAt: endedStepStatuses.includes(row.status) ? updatedAt : null,
  }));
}
