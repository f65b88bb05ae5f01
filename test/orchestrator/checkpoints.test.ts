import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptEntry } from '../../src/agents/index.js';
import type { Database } from '../../src/db/index.js';
import { createCheckpoints } from '../../src/orchestrator/checkpoints.js';
import { claimSteps, enqueueSteps, sweepExpiredLeases } from '../../src/orchestrator/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { createOrgAndProject, createTaskWithSteps } from '../helpers/tasks.js';

let database: Database;
let owner: { orgId: string; projectId: string };
beforeAll(async () => {
  database = await createTestDatabase();
  owner = await createOrgAndProject(database.db);
});
afterAll(() => database.close());

const model: TranscriptEntry = {
  kind: 'model',
  turn: 1,
  text: 'hi',
  toolCalls: [{ toolCallId: 'c1', toolName: 'read_file', input: { path: 'a' } }],
  model: 'm',
  costUsd: 0.01,
};
const result: TranscriptEntry = {
  kind: 'tool-result',
  toolCallId: 'c1',
  toolName: 'read_file',
  output: 'content',
  isError: false,
};

describe('Postgres checkpoints', () => {
  it("keep a step's transcript in order for the next holder of the step", async () => {
    const { stepIds } = await createTaskWithSteps(database.db, owner, 1);
    await database.db.transaction((tx) => enqueueSteps(tx, stepIds));
    const [lease] = await claimSteps(database.db, { workerId: 'a', limit: 1, leaseMs: 0 });
    const first = createCheckpoints(database.db, owner.orgId, lease!);
    await first.append(model);
    await first.append(result);

    await sweepExpiredLeases(database.db);
    const [next] = await claimSteps(database.db, { workerId: 'b', limit: 1, leaseMs: 60_000 });
    expect(await createCheckpoints(database.db, owner.orgId, next!).load()).toEqual([
      model,
      result,
    ]);

    // The first worker lost the step: it can no longer write to the transcript.
    await expect(first.append(result)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await createCheckpoints(database.db, owner.orgId, next!).load()).toHaveLength(2);
  });
});
