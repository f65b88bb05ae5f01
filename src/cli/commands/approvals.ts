// `cadre approval list|approve|reject`: the human gates of tasks, through the HTTP API.
import { Approval, ApprovalList } from '../../api/schemas.js';
import type { ApiClient } from '../api-client.js';

export interface ApprovalListOptions {
  task?: string;
  status?: string;
  json?: boolean;
}

/** Lists approvals, newest first; pending ones unless --status says otherwise. */
export async function approvalList(client: ApiClient, options: ApprovalListOptions) {
  const query = new URLSearchParams();
  if (options.task) query.set('taskId', options.task);
  if (options.status !== 'all') query.set('status', options.status ?? 'pending');
  const { items } = await client.request(ApprovalList, 'GET', `/api/approvals?${query}`);
  if (options.json) {
    process.stdout.write(JSON.stringify(items, null, 2) + '\n');
    return;
  }
  if (items.length === 0) {
    process.stdout.write('No approvals waiting.\n');
    return;
  }
  const rows = [
    ['ID', 'TASK', 'KIND', 'STATUS', 'QUESTION'],
    ...items.map((item) => [item.id, item.taskId, item.kind, item.status, item.question]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

/** Approves or rejects one approval, with an optional answer. */
export async function approvalDecide(
  client: ApiClient,
  id: string,
  verdict: 'approve' | 'reject',
  options: { answer?: string; json?: boolean },
) {
  const approval = await client.request(
    Approval,
    'POST',
    `/api/approvals/${encodeURIComponent(id)}/${verdict}`,
    options.answer === undefined ? {} : { answer: options.answer },
  );
  process.stdout.write(
    (options.json
      ? JSON.stringify(approval, null, 2)
      : `${approval.status === 'approved' ? 'Approved' : 'Rejected'} the ${approval.kind} approval ${approval.id} of task ${approval.taskId}.`) +
      '\n',
  );
}
