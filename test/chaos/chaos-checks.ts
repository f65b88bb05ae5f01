// What a chaos run must leave behind: every task ended with a stated reason, a base branch
// whose tests pass after every merge, no commit and no side effect twice, and a ledger that
// matches the model server's own count. Each check returns what it found, for the test to
// assert and the benchmark to print.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { and, count, eq, inArray } from 'drizzle-orm';
import { tables, type Db } from '../../src/db/index.js';
import { runGit } from '../../src/workspace/git.js';

/** Text that means a crash leaked into a task's reason instead of a stated one. */
export const crashTexts =
  /lease expired(?! \d+ times)|terminating connection|Channel closed|Connection terminated|ECONNREFUSED|ECONNRESET|socket hang up|Cannot read properties/i;

/** Each task's status and, for a failed one, its reason. */
export async function taskEnds(db: Db, taskIds: string[]) {
  return db
    .select({ id: tables.tasks.id, status: tables.tasks.status, error: tables.tasks.error })
    .from(tables.tasks)
    .where(inArray(tables.tasks.id, taskIds));
}

/** Each first-parent commit of the base branch, oldest first, and whether its tests pass. */
export async function mainHistory(gitDir: string, branch: string) {
  const git = async (...args: string[]) => (await runGit({ gitDir, args })).stdout;
  const commits = (await git('rev-list', '--first-parent', '--reverse', branch))
    .split('\n')
    .filter(Boolean);
  const results: Array<{ commit: string; subject: string; isGreen: boolean; output: string }> = [];
  for (const commit of commits) {
    const subject = (await git('log', '-1', '--format=%s', commit)).trim();
    const folder = await mkdtemp(join(tmpdir(), 'cadre-chaos-main-'));
    try {
      const paths = (await git('ls-tree', '-r', '--name-only', commit)).split('\n').filter(Boolean);
      for (const path of paths) {
        await mkdir(dirname(join(folder, path)), { recursive: true });
        await writeFile(join(folder, path), await git('show', `${commit}:${path}`));
      }
      const run = await promisify(execFile)(process.execPath, ['test.js'], { cwd: folder }).then(
        ({ stdout }) => ({ isGreen: true, output: stdout }),
        (error: { stdout?: string; stderr?: string }) => ({
          isGreen: false,
          output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
        }),
      );
      results.push({ commit, subject, ...run });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  return results;
}

/**
 * Work commits whose subject occurs more than once anywhere in the base branch's history (each
 * names its task and step). Merge commits are left out: a candidate merge that failed its tests
 * is kept on the task's branch under the same subject as the task's final merge.
 */
export async function repeatedCommits(gitDir: string, branch: string) {
  const { stdout } = await runGit({ gitDir, args: ['log', '--no-merges', '--format=%s', branch] });
  return repeated(stdout.split('\n').filter(Boolean));
}

/** The commit each task-merged event names, per task. */
export async function mergedCommits(db: Db, taskIds: string[]) {
  const events = await db
    .select({ taskId: tables.events.taskId, data: tables.events.data })
    .from(tables.events)
    .where(and(inArray(tables.events.taskId, taskIds), eq(tables.events.type, 'task-merged')));
  return events.map(({ taskId, data }) => ({
    taskId,
    commit: (data as { commit: string }).commit,
  }));
}

/**
 * Side effects recorded twice: a task merged twice, a step finished twice, a tool call
 * (by its id) ended twice.
 */
export async function repeatedSideEffects(db: Db, taskIds: string[]) {
  const events = await db
    .select({ taskId: tables.events.taskId, type: tables.events.type, data: tables.events.data })
    .from(tables.events)
    .where(inArray(tables.events.taskId, taskIds));
  const keys = events.flatMap(({ taskId, type, data }) => {
    const fields = data as { key?: string; toolCallId?: string };
    if (type === 'task-merged' || type === 'verification-passed') return [`${taskId} ${type}`];
    if (type === 'step-done') return [`${taskId} ${type} ${fields.key}`];
    if (type === 'tool-call-end') return [`${taskId} ${type} ${fields.key} ${fields.toolCallId}`];
    return [];
  });
  return repeated(keys);
}

/** Steps whose lease expired, with the record of each expiry: what a failed task's reason points to. */
export async function expiredLeases(db: Db, taskIds: string[]) {
  const steps = await db
    .select({
      taskId: tables.steps.taskId,
      key: tables.steps.key,
      leaseExpiries: tables.steps.leaseExpiries,
      attemptErrors: tables.steps.attemptErrors,
    })
    .from(tables.steps)
    .where(inArray(tables.steps.taskId, taskIds));
  return steps.filter((step) => step.leaseExpiries > 0);
}

/** The number of llm_calls rows. */
export async function ledgerRows(db: Db): Promise<number> {
  const [row] = await db.select({ rows: count() }).from(tables.llmCalls);
  return row?.rows ?? 0;
}

/** Values that occur more than once, with how often. */
export function repeated(values: string[]): string[] {
  const seen = new Map<string, number>();
  for (const value of values) seen.set(value, (seen.get(value) ?? 0) + 1);
  return [...seen].filter(([, times]) => times > 1).map(([value, times]) => `${value} ×${times}`);
}
