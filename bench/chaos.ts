// npm run bench:chaos — 20 tasks worked by 2 worker processes while a worker is SIGKILLed
// every 5 s for 60 s and Postgres is restarted once: how many tasks end and how, how long a
// killed step takes to resume, how long the work takes to go on after the restart, whether a
// process exited, and whether the ledger matches the model server. Medians of 3 runs.
import {
  crashTexts,
  ledgerRows,
  mainHistory,
  repeatedCommits,
  repeatedSideEffects,
  taskEnds,
} from '../test/chaos/chaos-checks.js';
import { runChaos } from '../test/chaos/chaos-rig.js';
import { loadavg } from 'node:os';
import { median, percentile, writeSection } from './support/report.js';

const tasks = 20;
const runs = 3;
const leaseMs = 10_000;

interface RunFigures {
  done: number;
  failed: string[];
  kills: number;
  resumeP50: number;
  resumeMax: number;
  postgresMs: number | null;
  exits: number;
  redMerges: number;
  repeats: number;
  isLedgerExact: boolean;
  elapsedMs: number;
}

async function once(seed: number): Promise<RunFigures> {
  const result = await runChaos({
    tasks,
    workers: 2,
    seed,
    kills: { everyMs: 5_000, untilMs: 60_000, max: 12 },
    postgresRestartAfter: 5,
    rabbitRestartAfter: null,
    leaseMs,
    deadlineMs: 600_000,
    // Every third task writes a broken file first, for Cadre's test run to refuse.
    isBrokenFirst: (n) => n % 3 === 0,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  try {
    const { db } = result.database;
    const ends = await taskEnds(db, result.taskIds);
    const resumes = result.kills.flatMap((kill) =>
      kill.steps.flatMap((step) => (step.resumedAfterMs === null ? [] : [step.resumedAfterMs])),
    );
    const history = await mainHistory(result.gitDir, result.baseBranch);
    const repeats = [
      ...(await repeatedCommits(result.gitDir, result.baseBranch)),
      ...(await repeatedSideEffects(db, result.taskIds)),
    ];
    return {
      done: ends.filter((end) => end.status === 'done').length,
      failed: ends
        .filter((end) => end.status !== 'done')
        .map((end) => `${end.status}: ${end.error ?? 'no reason'}`),
      kills: result.kills.length,
      resumeP50: percentile(resumes, 50),
      resumeMax: Math.max(...resumes),
      postgresMs: result.postgresRestart?.progressAfterMs ?? null,
      exits: result.unexpectedExits.length,
      redMerges: history.filter((commit) => !commit.isGreen).length,
      repeats: repeats.length,
      isLedgerExact: (await ledgerRows(db)) === result.modelAnswered,
      elapsedMs: result.elapsedMs,
    };
  } finally {
    await result.close();
  }
}

async function main() {
  const figures: RunFigures[] = [];
  for (let run = 0; run < runs; run++) {
    const run_ = await once(1000 + run);
    process.stdout.write(`run ${run + 1}: ${JSON.stringify(run_)}\n`);
    figures.push(run_);
  }
  const mid = (pick: (run: RunFigures) => number) => median(figures.map(pick));
  const failures = figures.flatMap((run) => run.failed);
  const crashes = failures.filter((reason) => crashTexts.test(reason));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows = [
    ['tasks done (of 20)', figures.map((run) => run.done).join(', ')],
    ['tasks failed, with reasons', failures.length ? failures.join('; ') : 'none'],
    ['kills made', figures.map((run) => run.kills).join(', ')],
    ['resume after a kill, p50', seconds(mid((run) => run.resumeP50))],
    ['resume after a kill, max', seconds(mid((run) => run.resumeMax))],
    ['progress after the Postgres restart', seconds(mid((run) => run.postgresMs ?? Infinity))],
    ['processes that exited unasked', figures.map((run) => run.exits).join(', ')],
    ['red commits on main', figures.map((run) => run.redMerges).join(', ')],
    ['commits or side effects twice', figures.map((run) => run.repeats).join(', ')],
    [
      'ledger = model server count',
      figures.map((run) => (run.isLedgerExact ? 'yes' : 'no')).join(', '),
    ],
    ['whole run', seconds(mid((run) => run.elapsedMs))],
  ];
  const met = (isMet: boolean) => (isMet ? 'met' : 'missed');
  const allEnded = figures.every((run) => run.done + run.failed.length === tasks);
  const targets = [
    ['100 % of tasks end, none with a crash text', met(allEnded && crashes.length === 0)],
    ['main green after every merge', met(figures.every((run) => run.redMerges === 0))],
    ['resume ≤ 20 s (max, median of runs)', met(mid((run) => run.resumeMax) <= 20_000)],
    [
      'Postgres recovery ≤ 10 s, no process exiting',
      met(
        mid((run) => run.postgresMs ?? Infinity) <= 10_000 &&
          figures.every((run) => run.exits === 0),
      ),
    ],
  ];
  const table = (header: string[], body: string[][]) =>
    [
      `| ${header.join(' | ')} |`,
      `| ${header.map(() => '---').join(' | ')} |`,
      ...body.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
  await writeSection(
    'Chaos (npm run bench:chaos)',
    [
      `${tasks} tasks (each: plan, write a file, run the tests, commit, review, test, Cadre's own test run, merge; every third writes a broken file first, which Cadre's test run refuses, so that it needs a fix round) on a project whose \`npm test\` checks every source file. Two worker processes (\`test/support/scripted-worker.ts\`: the real conductor and worker, 4 steps at once each, a ${leaseMs / 1000} s lease) on a private embedded Postgres; the model is a local OpenAI-compatible server. A driver SIGKILLs a worker every 5 s (±25 %, seeded) for 60 s and starts it again, sparing steps near their bound of expired leases, and restarts Postgres once (fast shutdown, same port) after 5 tasks have ended. Resume: from the kill to the next event of a step the dead worker held (it waits for the lease to expire, then the sweeper requeues it). Postgres recovery: from the server accepting connections again to the next event of any task. Medians of ${runs} runs; per-run values where a median hides something.`,
      '',
      table(['figure', 'measured'], rows),
      '',
      table(['target', 'result'], targets),
      '',
      `Load average at the end: ${loadavg()
        .map((load) => load.toFixed(2))
        .join(
          ' ',
        )} (the machine may be shared with other work; a busy machine lengthens the runs and the resumes). A resume is at least the lease less one heartbeat (7.5 s here): it is the lease's expiry that tells the sweeper a worker died. /readyz is not part of this run, which has no API process; the Postgres restart section above measures it under a running \`cadre up\`.`,
    ].join('\n'),
  );
}

await main();
