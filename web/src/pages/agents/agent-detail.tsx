// One agent, selected in the table: where it runs, what it is on and how lively it is.
import { useEffect, useRef } from 'react';
import { Link } from '../../router';
import { formatAgo, StatusBadge } from '../../ui';
import type { Agent } from './api';
import { Activity, AgentName, Health } from './agent-table';
import { RecentSteps } from './recent-steps';

export function AgentDetail(props: { agent: Agent; now: number; onClose: () => void }) {
  const { agent, now } = props;
  // On a narrow window the details sit below the list: bring them into view when chosen.
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [agent.id]);
  return (
    <aside
      ref={panel}
      className="card agents-detail"
      data-testid="agent-detail"
      aria-label={agent.name}
    >
      <header className="agents-detail-head">
        <h2>
          <AgentName name={agent.name} />
        </h2>
        <button className="link" onClick={props.onClose} aria-label="Close agent details">
          Close
        </button>
      </header>
      <dl className="facts agents-facts">
        <dt>Role</dt>
        <dd>{agent.role}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={agent.status} /> <Health agent={agent} />
        </dd>
        <dt>Doing</dt>
        <dd>
          <Activity agent={agent} />
        </dd>
        {agent.step && (
          <>
            <dt>Step goal</dt>
            <dd>{agent.step.goal}</dd>
          </>
        )}
        <dt>Heartbeat</dt>
        <dd>{agent.heartbeatAt ? formatAgo(agent.heartbeatAt, now) : 'never'}</dd>
        <dt>Worker</dt>
        <dd>{agent.workerId ? <code>{agent.workerId}</code> : '—'}</dd>
        <dt>Since</dt>
        <dd>{new Date(agent.createdAt).toLocaleString()}</dd>
      </dl>
      {agent.step && (
        <p>
          <Link to={`/tasks/${agent.step.taskId}`}>Open the task</Link>
        </p>
      )}
      <h3 className="agents-subhead">Recent steps</h3>
      <RecentSteps agent={agent} now={now} />
    </aside>
  );
}
