// The description of the pull request a task opens: the task, its plan, what each step did,
// the tests Cadre itself ran with their result, what it cost, and a link back to the task.
// Everything in it but the headings comes from the task's rows; the host renders Markdown.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { tables } from '../db/index.js';
import { cadreCommentMarker } from './host-intake.js';
import type { TaskRow } from './tasks.js';
import type { Verification } from './verify-merge.js';

/** The task page's URL under Cadre's public URL. */
export const taskPageUrl = (publicUrl: string, taskId: string) =>
  `${publicUrl.replace(/\/+$/, '')}/tasks/${taskId}`;

/** Title and body of the task's pull request. */
export async function pullRequestText(
  db: Db,
  task: TaskRow,
  verification: Verification | null,
  publicUrl: string,
): Promise<{ title: string; body: string }> {
  const steps = await db
    .select({ key: tables.steps.key, role: tables.steps.role, result: tables.steps.result })
    .from(tables.steps)
    .where(and(eq(tables.steps.taskId, task.id), eq(tables.steps.status, 'done')))
    .orderBy(asc(tables.steps.createdAt));
  const [cost] = await db
    .select({ usd: sql<string>`COALESCE(sum(${tables.llmCalls.costUsd}), 0)` })
    .from(tables.llmCalls)
    .where(eq(tables.llmCalls.taskId, task.id));
  const plan = task.plan as {
    summary?: string;
    steps?: Array<{ key: string; goal: string }>;
  } | null;
  const summaries = steps
    .map((step) => {
      const summary = (step.result as { summary?: unknown } | null)?.summary;
      return typeof summary === 'string' && summary
        ? `- \`${step.key}\` (${step.role}): ${oneLine(summary)}`
        : null;
    })
    .filter((line): line is string => line !== null);
  const tests = !verification
    ? 'Cadre ran no tests on this revision (it was verified before).'
    : 'command' in verification
      ? `\`${verification.command}\` on ${verification.commit.slice(0, 12)}: exit code ${String(verification.exitCode)}, ${verification.status === 'passed' ? 'passed' : 'failed'}${verification.isTimedOut ? ' (timed out)' : ''}.`
      : `Not run: ${verification.reason}`;
  const body = [
    cadreCommentMarker,
    `## Task\n\n${task.description}`,
    plan?.summary || plan?.steps?.length
      ? `## Plan\n\n${plan.summary ?? ''}\n${(plan.steps ?? []).map((step) => `- \`${step.key}\`: ${oneLine(step.goal)}`).join('\n')}`
      : null,
    summaries.length ? `## Steps\n\n${summaries.join('\n')}` : null,
    `## Tests Cadre ran\n\n${tests}`,
    `## Cost\n\n$${Number(cost?.usd ?? 0).toFixed(4)} in model calls.`,
    `[The task in Cadre](${taskPageUrl(publicUrl, task.id)})`,
  ]
    .filter((part): part is string => part !== null)
    .join('\n\n');
  return { title: task.title, body: body.slice(0, 60_000) };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 300);
