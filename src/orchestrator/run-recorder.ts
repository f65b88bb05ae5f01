// Writes each finished sandbox run to sandbox_runs: what it used and how it ended, for the
// task and step that ran it. A failure to write is logged, never thrown at the run.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { Logger } from '../observability/index.js';
import type { RunRecord } from '../workspace/index.js';

/** Writes each finished run to sandbox_runs; a failure to write is logged, never thrown. */
export function createRunRecorder(db: Db, logger: Logger) {
  return async (record: RunRecord): Promise<void> => {
    if (!record.orgId) return;
    const { result } = record;
    try {
      await db.insert(tables.sandboxRuns).values({
        orgId: record.orgId,
        projectId: record.projectId,
        // A step runs in a worktree of its own; the run belongs to the step's task.
        taskId: record.stepId
          ? sql`(SELECT task_id FROM steps WHERE id = ${record.stepId})`
          : record.taskId,
        stepId: record.stepId ?? null,
        executor: record.executor,
        command: [...record.argv],
        exitCode: result.exitCode,
        signal: result.signal,
        isTimedOut: result.isTimedOut,
        isOutputTruncated: result.isOutputTruncated,
        cpuMs: result.usage.cpuMs,
        wallMs: result.usage.wallMs,
        peakMemoryBytes: result.usage.peakMemoryBytes,
        startedAt: record.startedAt,
      });
    } catch (error) {
      logger.error(
        { err: error, taskId: record.taskId, stepId: record.stepId },
        'sandbox run not recorded',
      );
    }
  };
}
