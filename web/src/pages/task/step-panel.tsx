// The selected step: its goal, outcome and the transcript of its agent, kept up to date while
// the agent works.
import { Empty, formatUsd, Loaded, StatusBadge, useResource } from '../../ui';
import { taskApi, type Step } from './api';
import { Clipped } from './clipped';
import { TranscriptView } from './transcript';
import { useReloadOn } from './use-throttled';
import type { LiveEvent } from './use-task-live';

export function StepPanel(props: { step: Step; events: LiveEvent[]; onClose: () => void }) {
  const { step, events, onClose } = props;
  const transcript = useResource(() => taskApi.transcript(step.id), step.id);
  // Its agent's turns and tool calls, and the step's own state changes.
  const mentions = events.filter((event) => event.data.key === step.key).length;
  useReloadOn(`${mentions}:${step.status}`, transcript.reload, 500);

  const turns = transcript.data?.items.filter((entry) => entry.kind === 'model') ?? [];
  const costUsd = turns.reduce((sum, entry) => sum + entry.costUsd, 0);

  return (
    <section className="step-panel" aria-label={`Step ${step.key}`} data-testid="step-panel">
      <header className="step-panel-head">
        <h2>
          <code>{step.key}</code>
        </h2>
        <StatusBadge status={step.status} />
        <span className="muted">
          {step.role} · {step.kind}
          {step.round > 0 && ` · round ${step.round}`}
          {step.attempts > 1 && ` · attempt ${step.attempts}`}
          {turns.length > 0 &&
            ` · ${turns.length} turn${turns.length === 1 ? '' : 's'} · ${formatUsd(costUsd)}`}
        </span>
        <button className="link step-panel-close" onClick={onClose}>
          All steps
        </button>
      </header>
      <details className="step-goal">
        <summary>Goal{step.acceptance.length > 0 && ' and acceptance criteria'}</summary>
        <Clipped text={step.goal} maxLines={12} className="prose" />
        {step.acceptance.length > 0 && (
          <ul className="acceptance">
            {step.acceptance.map((criterion) => (
              <li key={criterion}>{criterion}</li>
            ))}
          </ul>
        )}
      </details>
      {step.summary && <p className="step-summary">{step.summary}</p>}
      {step.error && (
        <div className="step-error" role="alert">
          <strong>{step.status === 'queued' ? 'Failed, will retry:' : 'Error:'}</strong>
          <Clipped text={step.error} maxLines={8} />
        </div>
      )}
      {step.attemptErrors.length > 0 && (
        <details className="step-goal" data-testid="attempt-errors">
          <summary>{describeAttempts(step)}</summary>
          <ol className="acceptance">
            {step.attemptErrors.map((entry) => (
              <li key={`${entry.attempt}-${entry.at}`}>
                Attempt {entry.attempt} · <code>{entry.code}</code> ·{' '}
                {new Date(entry.at).toLocaleString()}
                {entry.workerId && <span className="muted"> · {entry.workerId}</span>}
                <Clipped text={entry.message} maxLines={4} />
              </li>
            ))}
          </ol>
        </details>
      )}
      <Loaded resource={transcript} what="the transcript">
        {({ items }) =>
          items.length === 0 ? (
            <Empty>{emptyTranscript(step)}</Empty>
          ) : (
            <TranscriptView items={items} />
          )
        }
      </Loaded>
    </section>
  );
}

/** "2 failed attempts of 3 · 1 worker lost of 5", for the attempt list's heading. */
function describeAttempts(step: Step): string {
  const parts = [];
  if (step.failures > 0)
    parts.push(
      `${step.failures} failed attempt${step.failures === 1 ? '' : 's'} of ${step.maxAttempts}`,
    );
  if (step.leaseExpiries > 0)
    parts.push(
      `${step.leaseExpiries} worker${step.leaseExpiries === 1 ? '' : 's'} lost of ${step.maxLeaseExpiries}`,
    );
  return parts.join(' · ');
}

function emptyTranscript(step: Step): string {
  if (step.kind === 'merge') return 'The merge runs without an agent: it has no transcript.';
  if (step.status === 'pending' || step.status === 'queued')
    return 'This step has not started yet.';
  if (step.status === 'running') return 'The agent is starting: its first turn shows up here.';
  if (step.status === 'cancelled') return 'This step was cancelled before its agent took a turn.';
  return 'No transcript was recorded for this step.';
}
