// The top of the task page: what the task is, where it stands, and the ways to cancel it or,
// once it failed or was cancelled, to retry it.
import { finishedStatuses } from '../../../../src/orchestrator/task-status';
import type { Viewer } from '../../live';
import { Link } from '../../router';
import { ErrorNote, formatUsd, useAction } from '../../ui';
import { taskApi, type Project, type Step, type Task, type TaskStatus } from './api';
import { Clipped } from './clipped';
import { Presence } from './presence';
import { RetryAction } from './retry-dialog';
import { Ago, Elapsed } from './ticking';

export function TaskHeader(props: {
  task: Task;
  status: TaskStatus;
  progress: Task['progress'];
  project: Project | undefined;
  viewers: Viewer[];
  /** The current attempt's steps. */
  steps: Step[];
  onCancelled: () => void;
  onRetried: () => void;
}) {
  const { task, status, progress, project, viewers, onCancelled } = props;
  const isRetryable = status === 'failed' || status === 'cancelled';
  const isFinished = finishedStatuses.includes(status);
  const cancel = useAction(async () => {
    await taskApi.cancel(task.id);
    onCancelled();
  });

  const percent = progress.total === 0 ? 0 : Math.round((progress.done / progress.total) * 100);
  const hasOwnTitle = task.description.trim() !== task.title.trim();

  return (
    <header className="card task-header">
      <nav className="task-breadcrumb" aria-label="Breadcrumb">
        <Link to="/tasks">Tasks</Link>
        <span aria-hidden>/</span>
        {project ? (
          <Link to={`/tasks?project=${project.id}`}>{project.name}</Link>
        ) : (
          <span className="muted">…</span>
        )}
      </nav>
      <div className="task-title-row">
        <h1>{task.title}</h1>
        <span className={`status status-${status} task-status`} data-testid="task-status">
          {status}
        </span>
        <div className="task-actions">
          {!isFinished && (
            <button
              className="danger-outline"
              onClick={() => void cancel.run()}
              disabled={cancel.isBusy}
              title="Stop this task's agents; a cancelled task can be retried"
            >
              {cancel.isBusy ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          {isRetryable && (
            <RetryAction task={task} steps={props.steps} onRetried={props.onRetried} />
          )}
        </div>
      </div>
      {hasOwnTitle && (
        <Clipped
          text={task.description}
          maxLines={3}
          maxChars={400}
          className="prose task-description"
        />
      )}
      {task.error && (
        <div className="task-error" role="alert">
          <Clipped text={task.error} maxLines={4} />
        </div>
      )}
      {cancel.error && <ErrorNote error={cancel.error} />}
      <div className="task-meta">
        <div className="task-progress" title={`${progress.done} of ${progress.total} steps done`}>
          <div
            className="task-meter"
            role="progressbar"
            aria-label="Steps done"
            aria-valuemin={0}
            aria-valuemax={progress.total}
            aria-valuenow={progress.done}
          >
            <div style={{ width: `${percent}%` }} data-status={status} />
          </div>
          <span>
            {progress.total === 0
              ? 'No steps planned yet'
              : `${progress.done} of ${progress.total} steps`}
          </span>
        </div>
        <span className="task-fact">
          <span className="muted">Created</span> <Ago iso={task.createdAt} />
        </span>
        <span className="task-fact">
          <span className="muted">Updated</span> <Ago iso={task.updatedAt} />
        </span>
        {task.startedAt && (
          <span className="task-fact">
            <span className="muted">{task.finishedAt ? 'Ran' : 'Running for'}</span>{' '}
            <Elapsed from={task.startedAt} to={task.finishedAt} />
          </span>
        )}
        {task.attempt > 1 && (
          <span className="task-fact" data-testid="task-attempt">
            <span className="muted">Attempt</span> {task.attempt}
          </span>
        )}
        {task.budgetUsd !== null && (
          <span className="task-fact">
            <span className="muted">Budget</span> {formatUsd(task.budgetUsd)}
          </span>
        )}
        <Presence viewers={viewers} />
      </div>
    </header>
  );
}
