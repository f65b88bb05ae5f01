// Below the graph: the selected step's transcript (or the list of steps), or the task's diff.
import { Empty } from '../../ui';
import type { Step } from './api';
import { DiffView } from './diff-view';
import { StepList } from './step-list';
import { StepPanel } from './step-panel';
import type { LiveEvent } from './use-task-live';

export type DetailTab = 'transcript' | 'diff';

export function DetailTabs(props: {
  tab: DetailTab;
  onTab: (tab: DetailTab) => void;
  steps: Step[] | undefined;
  selected: Step | undefined;
  onSelect: (key: string | null) => void;
  events: LiveEvent[];
  projectId: string;
  taskId: string;
  diffVersion: number;
  hasWorktree: boolean | undefined;
}) {
  const { tab, onTab, steps, selected, onSelect, events } = props;
  const tabButton = (value: DetailTab, label: string) => (
    <button
      role="tab"
      id={`tab-${value}`}
      aria-selected={tab === value}
      aria-controls={`panel-${value}`}
      onClick={() => onTab(value)}
    >
      {label}
    </button>
  );

  let panel;
  if (tab === 'diff') {
    panel = (
      <DiffView
        projectId={props.projectId}
        taskId={props.taskId}
        version={props.diffVersion}
        hasWorktree={props.hasWorktree}
      />
    );
  } else if (selected) {
    panel = (
      <StepPanel key={selected.id} step={selected} events={events} onClose={() => onSelect(null)} />
    );
  } else if (steps && steps.length > 0) {
    panel = <StepList steps={steps} onSelect={onSelect} />;
  } else {
    panel = <Empty>Each step's transcript shows here once the plan has steps.</Empty>;
  }

  return (
    <section className="card detail-card">
      <div className="task-tabs" role="tablist" aria-label="Step or changes">
        {tabButton('transcript', 'Transcript')}
        {tabButton('diff', 'Diff')}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {panel}
      </div>
    </section>
  );
}
