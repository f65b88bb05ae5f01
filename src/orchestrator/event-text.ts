// A task's events as sentences people read, for the CLI's watch and the web app's activity.
// Imports nothing, so that the web app bundles it as it is.

interface DescribedEvent {
  type: string;
  data: Record<string, unknown>;
}

const usd = (value: number) => `$${value.toFixed(4)}`;
const text = (value: unknown) => (typeof value === 'string' ? value : '');
const list = (value: unknown) => (Array.isArray(value) ? value.map(String).join('; ') : '');
/** The first line of a long message. */
const firstLine = (value: unknown) => {
  const [first = '', ...rest] = text(value).split('\n');
  return rest.length > 0 ? `${first} …` : first;
};

/** The last non-empty line of a long output. */
const lastLine = (value: unknown) =>
  text(value)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1) ?? '';

/** One event as a short sentence. */
export function describeEvent(event: DescribedEvent): string {
  const data = event.data;
  const key = text(data.key);
  const role = text(data.role);
  switch (event.type) {
    case 'task-created':
      return 'task created';
    case 'step-queued':
      return `${key} queued for the ${role}`;
    case 'step-started':
      return `${role} started ${key}${Number(data.attempt) > 1 ? ` (attempt ${String(data.attempt)})` : ''}`;
    case 'step-done':
      return `${role} finished ${key}${data.summary ? `: ${text(data.summary)}` : ''}`;
    case 'agent-turn': {
      const tools = Array.isArray(data.toolCalls) ? data.toolCalls.join(', ') : '';
      return `  ${key} turn ${String(data.turn)}: ${text(data.model)}, ${usd(Number(data.costUsd ?? 0))}${tools ? ` → ${tools}` : ''}`;
    }
    case 'tool-call-start':
      return `  ${key} ${text(data.tool)} …`;
    case 'tool-call-end':
      return `  ${key} ${text(data.tool)} ${data.isError ? 'failed' : 'ok'}`;
    case 'plan-accepted':
      return `plan accepted: ${String(data.steps)} steps. ${text(data.summary)}`.trim();
    case 'plan-rejected':
      return `plan refused, the planner tries again: ${list(data.problems)}`;
    case 'gates-queued':
      return `review and tests queued (round ${String(data.round)})`;
    case 'gates-passed':
      return `review and tests passed (round ${String(data.round)})`;
    case 'gate-failed':
      return `gate failed (round ${String(data.round)}): ${list(data.feedback)}`;
    case 'approval-requested':
      return `approval requested (${text(data.kind)}${data.reason ? `: ${text(data.reason)}` : ''})`;
    case 'approval-approved':
    case 'approval-rejected':
      return `${text(data.kind)} approval ${event.type.slice('approval-'.length)}`;
    case 'merge-conflict':
      return `merge conflict in ${text(data.step)}: ${list(data.paths)}`;
    case 'verification-passed':
      return `tests passed on the merge result (${text(data.command)})`;
    case 'verification-failed':
      return `tests failed on the merge result (${text(data.command)}, ${data.isTimedOut ? 'timed out' : `exit ${String(data.exitCode)}`}): ${lastLine(data.tail)}`;
    case 'verification-skipped':
    case 'verification-missing':
      return `merge not verified: ${firstLine(data.reason)}`;
    case 'task-merged':
      return `merged as ${text(data.commit)}`;
    case 'task-retried':
      return `task retried from ${text(data.from)} (attempt ${String(data.attempt)})`;
    case 'step-dead':
      return `${key} failed for good: ${firstLine(data.error)}`;
    default:
      if (event.type.startsWith('task-')) {
        return `task ${event.type.slice('task-'.length)}${data.error ? `: ${firstLine(data.error)}` : ''}`;
      }
      return `${event.type} ${JSON.stringify(data)}`;
  }
}
