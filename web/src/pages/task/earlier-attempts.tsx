// The steps of a task's earlier attempts, which a retry ran again: kept with their summaries,
// errors and transcripts (selecting one opens its transcript), grouped by attempt, newest first.
import type { Step } from './api';

export function EarlierAttempts(props: { steps: Step[]; onSelect: (id: string) => void }) {
  const attempts = [...new Set(props.steps.map((step) => step.attempt))].sort((a, b) => b - a);
  return (
    <section className="card earlier-attempts" aria-labelledby="earlier-title">
      <h2 id="earlier-title">Earlier attempts</h2>
      {attempts.map((attempt) => (
        <details key={attempt}>
          <summary>{summaryOf(attempt, props.steps)}</summary>
          <ul aria-label={`Steps of attempt ${attempt}`}>
            {props.steps
              .filter((step) => step.attempt === attempt)
              .map((step) => (
                <li key={step.id}>
                  <button className="link" onClick={() => props.onSelect(step.id)}>
                    <code>{step.key}</code>
                  </button>{' '}
                  <span className="muted">{step.role}</span>
                  <span className="earlier-line">{step.error ?? step.summary ?? ''}</span>
                </li>
              ))}
          </ul>
        </details>
      ))}
    </section>
  );
}

function summaryOf(attempt: number, steps: Step[]): string {
  const count = steps.filter((step) => step.attempt === attempt).length;
  return `Attempt ${attempt}: ${count} ${count === 1 ? 'step' : 'steps'} run again`;
}
