// The dashboard: what the team is doing right now (running tasks, agents, queue, today's
// spend), the live activity stream, and hourly charts of throughput, step time and cost.
import { describeEvent } from '../../../src/orchestrator/event-text';
import { api, type Agent, type RecentEvent, type Summary } from '../api';
import { Chart } from '../charts';
import { useThrottled } from '../hooks';
import { useLive } from '../live-context';
import { Link } from '../router';
import {
  Empty,
  formatAgo,
  formatDuration,
  formatUsd,
  Loaded,
  StatusBadge,
  useResource,
} from '../ui';
import { TaskTable } from './tasks';

const unfinished = 'queued,planning,running,waiting';
const detail = new Set([
  'agent-turn',
  'tool-call-start',
  'tool-call-end',
  'text-delta',
  'reasoning-delta',
]);

export function DashboardPage() {
  const summary = useResource(() => api.summary(24), 'summary');
  const events = useResource(() => api.recentEvents(60), 'events');
  const running = useResource(() => api.tasks({ status: unfinished }), 'running');
  const agents = useResource(api.agents, 'agents');
  const projects = useResource(api.projects, 'projects');

  // Live changes reload what they touch, at most once a second each.
  const reloadSummary = useThrottled(summary.reload, 1000);
  const reloadEvents = useThrottled(events.reload, 1000);
  const reloadRunning = useThrottled(running.reload, 1000);
  const reloadAgents = useThrottled(agents.reload, 1000);
  const reloadAll = () => {
    for (const resource of [summary, events, running, agents]) resource.reload();
  };
  useLive(
    { scope: 'organization' },
    (message) => {
      if (message.type === 'event') {
        reloadEvents();
        reloadRunning();
        reloadSummary();
      } else if (message.type === 'agent') {
        reloadAgents();
        reloadSummary();
      }
    },
    reloadAll, // what happened while the connection was down
  );

  const names = new Map(projects.data?.map((project) => [project.id, project.name]));
  return (
    <div className="stack dashboard">
      <Loaded resource={summary} what="the summary">
        {(data) => <Numbers summary={data} />}
      </Loaded>
      <div className="columns">
        <section className="card">
          <div className="heading-row">
            <h2>Running tasks</h2>
            <Link to="/tasks">All tasks</Link>
          </div>
          <Loaded resource={running} what="running tasks">
            {(page) =>
              page.items.length === 0 ? (
                <Empty>
                  Nothing is running. <Link to="/tasks">Start a task</Link> and the team picks it
                  up.
                </Empty>
              ) : (
                <TaskTable tasks={page.items} projectNames={names} />
              )
            }
          </Loaded>
        </section>
        <section className="card">
          <div className="heading-row">
            <h2>Agents</h2>
            <Link to="/agents">Details</Link>
          </div>
          <Loaded resource={agents} what="agents">
            {(items) => <AgentList agents={items} />}
          </Loaded>
        </section>
      </div>
      <div className="columns">
        <section className="card">
          <h2>Activity</h2>
          <Loaded resource={events} what="activity">
            {(items) => <Activity events={items} />}
          </Loaded>
        </section>
        <section className="card">
          <h2>Last 24 hours</h2>
          <Loaded resource={summary} what="charts">
            {(data) => <Charts summary={data} />}
          </Loaded>
        </section>
      </div>
    </div>
  );
}

function Numbers({ summary }: { summary: Summary }) {
  const agents = summary.agentsByStatus;
  const busy = agents.working + agents.waiting;
  const total = Object.values(agents).reduce((sum, count) => sum + count, 0) - agents.stopped;
  return (
    <div className="numbers" data-testid="numbers">
      <Stat label="Running tasks" value={String(summary.runningTasks)} />
      <Stat label="Steps in the queue" value={String(summary.queueDepth)} />
      <Stat label="Agents busy" value={`${busy} of ${Math.max(total, 0)}`} />
      <Stat label="Spend today" value={formatUsd(summary.spendTodayUsd)} />
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="card number">
      <span className="muted">{label}</span>
      <strong>{value}</strong>
    </div>
  );
}

function AgentList({ agents }: { agents: Agent[] }) {
  const active = agents.filter((agent) => agent.status !== 'stopped');
  if (active.length === 0) {
    return (
      <Empty>No agent is at work. Agents appear when a worker runs a task&apos;s first step.</Empty>
    );
  }
  return (
    <ul className="agents-list">
      {active.map((agent) => (
        <li key={agent.id}>
          <StatusBadge status={agent.status} />
          <span className="agent-name">{agent.name}</span>
          <span className="muted">
            {agent.step ? (
              <Link to={`/tasks/${agent.step.taskId}`}>{agent.activity}</Link>
            ) : agent.heartbeatAt ? (
              `idle, seen ${formatAgo(agent.heartbeatAt)}`
            ) : (
              'idle'
            )}
          </span>
        </li>
      ))}
    </ul>
  );
}

function Activity({ events }: { events: RecentEvent[] }) {
  // Turns and tool calls are the task page's detail; the stream keeps to what happened.
  const shown = events.filter((event) => !detail.has(event.type));
  if (shown.length === 0) {
    return <Empty>No activity yet. What the agents do shows here as it happens.</Empty>;
  }
  return (
    <ol className="activity" data-testid="activity">
      {shown.map((event) => (
        <li key={`${event.taskId}-${event.seq}`}>
          <time className="muted" dateTime={event.createdAt}>
            {new Date(event.createdAt).toLocaleTimeString()}
          </time>
          <span>
            <Link to={`/tasks/${event.taskId}`}>{event.taskTitle}</Link>:{' '}
            {describeEvent(event).trim()}
          </span>
        </li>
      ))}
    </ol>
  );
}

function Charts({ summary }: { summary: Summary }) {
  const hours = summary.series.map((hour) => hour.hour);
  const of = (pick: (hour: Summary['series'][number]) => number | null) => summary.series.map(pick);
  return (
    <div className="charts">
      <Chart
        label="Throughput per hour"
        kind="bars"
        hours={hours}
        format={(value) => (Number.isInteger(value) ? String(value) : value.toFixed(1))}
        series={[
          { name: 'tasks', color: '#3b5bdb', values: of((hour) => hour.tasksFinished) },
          { name: 'steps', color: '#94a8f0', values: of((hour) => hour.stepsFinished) },
        ]}
      />
      <Chart
        label="Step run time"
        kind="lines"
        hours={hours}
        format={formatDuration}
        series={[
          { name: 'p50', color: '#1f7a4d', values: of((hour) => hour.stepP50Ms) },
          { name: 'p95', color: '#c77c02', values: of((hour) => hour.stepP95Ms) },
        ]}
      />
      <Chart
        label="Model spend per hour"
        kind="bars"
        hours={hours}
        format={formatUsd}
        series={[{ name: 'USD', color: '#7048e8', values: of((hour) => hour.costUsd) }]}
      />
    </div>
  );
}
