// Postgres checkpoints for the agent runtime: a step's transcript as rows. An append is
// fenced by the step's lease, so a worker that lost the step cannot write to its transcript.
import { asc, eq, sql } from 'drizzle-orm';
import type { Checkpoints, TranscriptEntry } from '../agents/index.js';
import { CadreError } from '../errors/index.js';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import type { Lease } from './work-queue.js';

/** The checkpoints of the step held by `lease`. */
export function createCheckpoints(db: Db, orgId: string, lease: Lease): Checkpoints {
  return {
    async load() {
      const rows = await db
        .select({ entry: tables.agentTurns.entry })
        .from(tables.agentTurns)
        .where(eq(tables.agentTurns.stepId, lease.stepId))
        .orderBy(asc(tables.agentTurns.seq));
      return rows.map((row) => row.entry as TranscriptEntry);
    },
    async append(entry) {
      const result = await db.execute(sql`
        INSERT INTO agent_turns (step_id, seq, org_id, kind, entry)
        SELECT s.id, COALESCE((SELECT max(seq) FROM agent_turns WHERE step_id = s.id), 0) + 1,
               ${orgId}, ${entry.kind}, ${JSON.stringify(entry)}::jsonb
        FROM steps s
        WHERE s.id = ${lease.stepId} AND s.lease_token = ${lease.token} AND s.status = 'running'`);
      if (result.rowCount !== 1) {
        throw new CadreError(
          'LEASE_LOST',
          `The lease on step ${lease.stepId} was lost; its transcript was not extended.`,
          {
            details: lease,
          },
        );
      }
    },
  };
}
