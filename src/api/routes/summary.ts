// GET /api/summary: the dashboard's numbers for the caller's organization — what is running
// and queued now, and hourly charts of throughput, step run time and model spend. Read-only.
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/index.js';
import type { Gateway } from '../../llm/index.js';
import { agentStatuses } from '../../orchestrator/agent-status.js';
import { finishedStatuses, taskStatuses } from '../../orchestrator/task-status.js';
import type { AppDeps } from '../app.js';
import { principalOf } from '../auth-hook.js';
import { Summary, SummaryQuery, type SummaryHour } from '../schemas.js';

export const summaryRoutes: FastifyPluginAsyncZod<AppDeps & { gateway: Gateway }> = async (
  app,
  { database: { db }, gateway },
) => {
  app.get(
    '/api/summary',
    {
      config: { permission: 'tasks:read' },
      schema: { tags: ['summary'], querystring: SummaryQuery, response: { 200: Summary } },
    },
    async (request) => {
      const { orgId } = principalOf(request);
      const { hours } = request.query;
      // Calls this process made a moment ago are still on their way to the ledger.
      await gateway.flush();
      const [now, series] = await Promise.all([readNow(db, orgId), readSeries(db, orgId, hours)]);
      const tasksByStatus = countsOf(taskStatuses, now.tasks);
      return {
        generatedAt: now.generatedAt,
        hours,
        runningTasks: taskStatuses
          .filter((status) => !finishedStatuses.includes(status))
          .reduce((sum, status) => sum + tasksByStatus[status], 0),
        tasksByStatus,
        queueDepth: Number(now.queueDepth),
        agentsByStatus: countsOf(agentStatuses, now.agents),
        spendTodayUsd: Number(now.spendToday),
        series,
      };
    },
  );
};

interface NowRow extends Record<string, unknown> {
  generatedAt: string;
  /** Counts by status; a status without rows is absent. */
  tasks: Record<string, number>;
  agents: Record<string, number>;
  queueDepth: string;
  spendToday: string;
}

/** The organization's state at this moment, in one round trip. */
async function readNow(db: Db, orgId: string): Promise<NowRow> {
  const result = await db.execute<NowRow>(sql`
    SELECT
      to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "generatedAt",
      (SELECT coalesce(json_object_agg(status, n), '{}') FROM (
        SELECT status, count(*) AS n FROM tasks WHERE org_id = ${orgId} GROUP BY status) t
      ) AS tasks,
      (SELECT coalesce(json_object_agg(status, n), '{}') FROM (
        SELECT status, count(*) AS n FROM agents WHERE org_id = ${orgId} GROUP BY status) a
      ) AS agents,
      -- A queued step is ready (or waiting out a retry's backoff); claiming makes it running.
      (SELECT count(*) FROM steps WHERE org_id = ${orgId} AND status = 'queued') AS "queueDepth",
      (SELECT coalesce(sum(cost_usd), 0) FROM llm_calls
        WHERE org_id = ${orgId} AND created_at >= date_trunc('day', now(), 'UTC')) AS "spendToday"`);
  return result.rows[0]!;
}

interface HourRow extends Record<string, unknown> {
  hour: string;
  tasksFinished: string;
  tasksFailed: string;
  stepsFinished: string;
  stepP50Ms: number | null;
  stepP95Ms: number | null;
  costUsd: string;
  inputTokens: string;
  outputTokens: string;
}

/**
 * Hourly buckets over the last `hours` hours, the current one last. A finished step's end is
 * its updated_at: the work queue stamps it when it commits the step's end, and nothing changes
 * a finished step after that.
 */
async function readSeries(db: Db, orgId: string, hours: number): Promise<SummaryHour[]> {
  const start = sql`(date_trunc('hour', now(), 'UTC') - make_interval(hours => ${hours - 1}))`;
  const result = await db.execute<HourRow>(sql`
    WITH buckets AS (
      SELECT generate_series(${start}, date_trunc('hour', now(), 'UTC'), interval '1 hour') AS hour
    ), finished_tasks AS (
      SELECT date_trunc('hour', finished_at, 'UTC') AS hour, count(*) AS finished,
        count(*) FILTER (WHERE status = 'failed') AS failed
      FROM tasks WHERE org_id = ${orgId} AND finished_at >= ${start}
      GROUP BY 1
    ), finished_steps AS (
      SELECT date_trunc('hour', updated_at, 'UTC') AS hour, count(*) AS finished,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY run_ms) AS p50,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY run_ms) AS p95
      FROM (
        SELECT updated_at, extract(epoch FROM updated_at - claimed_at)::float8 * 1000 AS run_ms
        FROM steps
        WHERE org_id = ${orgId} AND status IN ('done', 'failed', 'dead')
          AND claimed_at IS NOT NULL AND updated_at >= ${start}
      ) ran
      GROUP BY 1
    ), calls AS (
      SELECT date_trunc('hour', created_at, 'UTC') AS hour, sum(cost_usd) AS cost,
        sum(input_tokens) AS input, sum(output_tokens) AS output
      FROM llm_calls WHERE org_id = ${orgId} AND created_at >= ${start}
      GROUP BY 1
    )
    SELECT
      to_char(b.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour,
      coalesce(t.finished, 0) AS "tasksFinished",
      coalesce(t.failed, 0) AS "tasksFailed",
      coalesce(s.finished, 0) AS "stepsFinished",
      round(s.p50::numeric)::float8 AS "stepP50Ms",
      round(s.p95::numeric)::float8 AS "stepP95Ms",
      coalesce(c.cost, 0) AS "costUsd",
      coalesce(c.input, 0) AS "inputTokens",
      coalesce(c.output, 0) AS "outputTokens"
    FROM buckets b
    LEFT JOIN finished_tasks t USING (hour)
    LEFT JOIN finished_steps s USING (hour)
    LEFT JOIN calls c USING (hour)
    ORDER BY b.hour`);
  return result.rows.map((row) => ({
    hour: row.hour,
    tasksFinished: Number(row.tasksFinished),
    tasksFailed: Number(row.tasksFailed),
    stepsFinished: Number(row.stepsFinished),
    stepP50Ms: row.stepP50Ms,
    stepP95Ms: row.stepP95Ms,
    costUsd: Number(row.costUsd),
    inputTokens: Number(row.inputTokens),
    outputTokens: Number(row.outputTokens),
  }));
}

/** Every status with its count, zero for those without rows. */
function countsOf<S extends string>(statuses: readonly S[], counts: Record<string, number>) {
  return Object.fromEntries(statuses.map((status) => [status, counts[status] ?? 0])) as Record<
    S,
    number
  >;
}
