// One task's page: its header, the live graph of its steps, a step's transcript, the diff, its
// approvals, spend and activity. Everything follows the task's live subscription.
import { useEffect, useMemo, useState } from 'react';
import { finishedStatuses } from '../../../src/orchestrator/task-status';
import { api, ApiError } from '../api';
import { Link } from '../router';
import { Empty, ErrorNote, Loaded, Loading, useResource } from '../ui';
import { Activity } from './task/activity';
import { taskApi, type StepStatus, type Task } from './task/api';
import { Approvals } from './task/approvals';
import { Costs } from './task/costs';
import { Delivery } from './task/delivery';
import { DetailTabs, type DetailTab } from './task/detail-tabs';
import { StepGraph } from './task/step-graph';
import { TaskHeader } from './task/task-header';
import { useTaskLive, type LiveEvent, type TaskLive } from './task/use-task-live';
import { useReloadOn } from './task/use-throttled';
import './task.css';

const isUuid = (value: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export function TaskPage({ taskId }: { taskId: string }) {
  return isUuid(taskId) ? <TaskView taskId={taskId} /> : <TaskNotFound taskId={taskId} />;
}

function TaskNotFound({ taskId }: { taskId: string }) {
  return (
    <div className="task-page">
      <section className="card task-missing" role="alert">
        <h1>Task not found</h1>
        <p className="muted">
          There is no task <code>{taskId}</code> in your organization: the link may be wrong, or the
          task was deleted.
        </p>
        <Link to="/tasks">Back to tasks</Link>
      </section>
    </div>
  );
}

/** How many events of each concern arrived: each count changing reloads that concern. */
function versionsOf(events: LiveEvent[]) {
  const count = (test: (type: string) => boolean) =>
    events.filter((event) => test(event.type)).length;
  return {
    /** The task's status and its approvals change together. */
    task: count((type) => type.startsWith('task-') || type.startsWith('approval-')),
    diff: count((type) => type === 'step-done' || type === 'task-merged'),
    /** A step makes the task's worktree before its agent's first turn: no diff before that. */
    worked: count((type) => type === 'agent-turn' || type === 'step-done'),
    spend: count((type) => type === 'agent-turn'),
  };
}

/** How long to wait for the live connection's word on the task before asking over HTTP. */
const liveAnswerMs = 2000;

function TaskView({ taskId }: { taskId: string }) {
  const live = useTaskLive(taskId);
  const [isPatient, setPatient] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setPatient(false), liveAnswerMs);
    return () => clearTimeout(timer);
  }, []);
  if (live.answer === 'missing') return <TaskNotFound taskId={taskId} />;
  if (live.answer === 'none' && isPatient) return <Loading what="the task" />;
  return <TaskLoader taskId={taskId} live={live} />;
}

function TaskLoader({ taskId, live }: { taskId: string; live: TaskLive }) {
  const task = useResource(() => api.task(taskId), taskId);
  if (task.error && task.data === undefined) {
    if (task.error instanceof ApiError && task.error.status === 404)
      return <TaskNotFound taskId={taskId} />;
    return <ErrorNote error={task.error} onRetry={task.reload} />;
  }
  if (task.data === undefined) return <Loading what="the task" />;
  return <TaskDetail task={task.data} reloadTask={task.reload} live={live} />;
}

/** The page of a task that exists. */
function TaskDetail(props: { task: Task; reloadTask: () => void; live: TaskLive }) {
  const { task, reloadTask, live } = props;
  const taskId = task.id;
  const steps = useResource(() => taskApi.steps(taskId), taskId);
  const approvals = useResource(() => taskApi.approvals(taskId), taskId);
  const log = useResource(() => taskApi.events(taskId), taskId);
  const project = useResource(() => taskApi.project(task.projectId), task.projectId);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [tab, setTab] = useState<DetailTab>('transcript');

  const versions = useMemo(() => versionsOf(live.events), [live.events]);
  useReloadOn(live.events.length, steps.reload, 300);
  useReloadOn(versions.task, reloadTask, 300);
  useReloadOn(versions.task, approvals.reload, 300);
  const times = useMemo(
    () => new Map(log.data?.items.map((event) => [event.seq, event.createdAt])),
    [log.data],
  );

  // The log's order is the truth; a finished task never changes again.
  const status = finishedStatuses.includes(task.status)
    ? task.status
    : (live.status ?? task.status);
  const selected = steps.data?.items.find((step) => step.key === selectedKey);
  const select = (key: string | null) => {
    setSelectedKey(key);
    setTab('transcript');
  };
  const refresh = () => {
    reloadTask();
    steps.reload();
    approvals.reload();
  };

  return (
    <div className="task-page">
      <TaskHeader
        task={task}
        status={status}
        progress={steps.data?.progress ?? task.progress}
        project={project.data}
        viewers={live.viewers}
        onCancelled={refresh}
      />
      {live.error && <ErrorNote error={`Live updates stopped: ${live.error}`} />}
      {task.delivery && <Delivery delivery={task.delivery} />}
      <Approvals approvals={approvals} onDecided={refresh} />
      <section className="card graph-card" aria-labelledby="steps-title">
        <div className="heading-row">
          <h2 id="steps-title">Steps</h2>
          <Legend />
        </div>
        <Loaded resource={steps} what="the steps">
          {({ items }) =>
            items.length === 0 ? (
              <Empty>No steps yet: the planner starts as soon as a worker is free.</Empty>
            ) : (
              <StepGraph steps={items} selectedKey={selectedKey} onSelect={select} />
            )
          }
        </Loaded>
      </section>
      <div className="task-columns">
        <DetailTabs
          tab={tab}
          onTab={setTab}
          steps={steps.data?.items}
          selected={selected}
          onSelect={select}
          events={live.events}
          projectId={task.projectId}
          taskId={taskId}
          diffVersion={versions.diff}
          hasWorktree={live.isCaughtUp ? versions.worked > 0 : undefined}
        />
        <aside className="task-side">
          <Costs taskId={taskId} budgetUsd={task.budgetUsd} version={versions.spend} />
          <Activity events={live.events} times={times} />
        </aside>
      </div>
    </div>
  );
}

const legend: StepStatus[] = [
  'pending',
  'queued',
  'running',
  'waiting',
  'done',
  'failed',
  'cancelled',
];

function Legend() {
  return (
    <ul className="step-legend" aria-label="Step colours">
      {legend.map((status) => (
        <li key={status} data-status={status}>
          <span className="step-node-dot" aria-hidden />
          {status}
        </li>
      ))}
    </ul>
  );
}
