// The chaos suite: tasks worked by two real worker processes on a private Postgres and
// RabbitMQ while workers are SIGKILLed and restarted, Postgres is restarted once and RabbitMQ
// once. Every task must end with a stated reason, the base branch must pass the project's
// tests after every merge, nothing may happen twice, and the ledger must match the model
// server's own count of answered calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables } from '../../src/db/index.js';
import {
  crashTexts,
  expiredLeases,
  ledgerRows,
  mainHistory,
  mergedCommits,
  repeated,
  repeatedCommits,
  repeatedSideEffects,
  taskEnds,
} from './chaos-checks.js';
import { runChaos, type ChaosResult } from './chaos-rig.js';

const tasks = 8;
// Odd tasks write a broken file first: only Cadre's test run before the merge stops it.
const isBrokenFirst = (n: number) => n % 2 === 1;
let result: ChaosResult;

beforeAll(async () => {
  result = await runChaos({
    tasks,
    workers: 2,
    seed: 20261206,
    kills: { everyMs: 4_000, untilMs: 90_000, max: 6 },
    postgresRestartAfter: 2,
    rabbitRestartAfter: 4,
    leaseMs: 3_000,
    deadlineMs: 150_000,
    isBrokenFirst,
    log: (line) => process.stdout.write(`${line}\n`),
  });
}, 200_000);
afterAll(async () => {
  await result?.close();
});

describe('work under kills and server restarts', () => {
  it('really killed workers and restarted both servers', () => {
    expect(result.kills.length).toBeGreaterThanOrEqual(3);
    expect(result.kills.some((kill) => kill.steps.length > 0)).toBe(true);
    expect(result.postgresRestart?.progressAfterMs).not.toBeNull();
    expect(result.rabbitRestart).not.toBeNull();
  });

  it('ends every task done, and no process exits but those killed', async () => {
    const ends = await taskEnds(result.database.db, result.taskIds);
    const reasons = ends.filter((end) => end.error).map((end) => end.error!);
    expect(reasons.filter((reason) => crashTexts.test(reason))).toEqual([]);
    const leases = await expiredLeases(result.database.db, result.taskIds);
    // On a failure, which steps lost their lease when, and under which worker.
    expect(
      ends.map((end) => [end.status, end.error]),
      JSON.stringify(leases),
    ).toEqual(ends.map(() => ['done', null]));
    expect(result.unexpectedExits).toEqual([]);
  });

  it('resumes every killed step', () => {
    const steps = result.kills.flatMap((kill) => kill.steps);
    expect(steps.filter((step) => step.resumedAfterMs === null)).toEqual([]);
  });

  it('keeps the base branch green after every merge, each task merged once', async () => {
    const history = await mainHistory(result.gitDir, result.baseBranch);
    expect(history.filter((commit) => !commit.isGreen)).toEqual([]);
    expect(history.at(-1)!.output).toContain(`${tasks} passed`);
    // Each task moved the base once: its merge (or fast-forward) is one first-parent commit.
    const merged = await mergedCommits(result.database.db, result.taskIds);
    expect(merged).toHaveLength(tasks);
    const onMain = new Set(history.map((commit) => commit.commit));
    expect(merged.filter(({ commit }) => !onMain.has(commit))).toEqual([]);
    expect(repeated(history.map((commit) => commit.subject))).toEqual([]);
  });

  it('makes no commit twice and no side effect twice', async () => {
    expect(await repeatedCommits(result.gitDir, result.baseBranch)).toEqual([]);
    expect(await repeatedSideEffects(result.database.db, result.taskIds)).toEqual([]);
    // Cadre's own test run refused each broken task's first merge candidate, once.
    const refused = await result.database.db
      .select({ taskId: tables.events.taskId })
      .from(tables.events)
      .where(eq(tables.events.type, 'verification-failed'));
    const broken = result.taskIds.filter((_, index) => isBrokenFirst(index + 1));
    expect(refused.map((event) => event.taskId).sort()).toEqual(broken.sort());
  });

  it('has one ledger row per call the model server answered', async () => {
    expect(await ledgerRows(result.database.db)).toBe(result.modelAnswered);
  });
});
