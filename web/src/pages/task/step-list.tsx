// The steps as a list, for when none is selected: what each did in a line, and a way to open
// its transcript without the graph (by keyboard, or with a screen reader).
import { StatusBadge } from '../../ui';
import type { Step } from './api';

export function StepList({ steps, onSelect }: { steps: Step[]; onSelect: (key: string) => void }) {
  return (
    <div className="step-list">
      <p className="muted">Select a step in the graph or below to see what its agent did.</p>
      <ul aria-label="Steps">
        {steps.map((step) => (
          <li key={step.id}>
            <button onClick={() => onSelect(step.key)}>
              <code>{step.key}</code>
              <span className="muted step-list-role">{step.role}</span>
              <StatusBadge status={step.status} />
              <span className="step-list-line">
                {step.error ?? step.summary ?? firstLine(step.goal)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

const firstLine = (text: string) => text.split('\n')[0] ?? '';
