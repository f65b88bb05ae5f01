// The team's agents as a table: who, what it is doing, when it last showed life and whether
// that is recent enough. Selecting an agent is the page's business; this only reports it.
import { Link } from '../../router';
import { formatAgo, StatusBadge } from '../../ui';
import type { Agent } from './api';

export function AgentTable(props: {
  agents: Agent[];
  now: number;
  selectedId: string | null;
  onSelect: (agentId: string) => void;
}) {
  return (
    <table className="agents-table row-cards" data-testid="agents">
      <thead>
        <tr>
          <th>Agent</th>
          <th>Role</th>
          <th>Status</th>
          <th>Doing</th>
          <th>Heartbeat</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {props.agents.map((agent) => (
          <tr
            key={agent.id}
            data-agent-id={agent.id}
            className={agent.id === props.selectedId ? 'selected' : ''}
          >
            <td data-label="Agent">
              <button
                className="link agents-name"
                aria-pressed={agent.id === props.selectedId}
                onClick={() => props.onSelect(agent.id)}
              >
                <AgentName name={agent.name} />
              </button>
            </td>
            <td data-label="Role">{agent.role}</td>
            <td data-label="Status">
              <StatusBadge status={agent.status} />
            </td>
            <td data-label="Doing">
              <Activity agent={agent} />
            </td>
            <td data-label="Heartbeat" className="muted">
              {agent.heartbeatAt ? formatAgo(agent.heartbeatAt, props.now) : 'never'}
            </td>
            <td data-label="Health">
              <Health agent={agent} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `developer@host:pid#1`, allowed to wrap after the @ rather than anywhere. */
export function AgentName({ name }: { name: string }) {
  const at = name.indexOf('@');
  if (at < 0) return <>{name}</>;
  return (
    <>
      {name.slice(0, at + 1)}
      <wbr />
      {name.slice(at + 1)}
    </>
  );
}

/** What the agent is on, with a link to its task; a dash when idle. */
export function Activity({ agent }: { agent: Agent }) {
  if (!agent.activity) return <span className="muted">—</span>;
  if (!agent.step) return <>{agent.activity}</>;
  return (
    <span className="agents-activity">
      {agent.activity.replace(` "${agent.step.taskTitle}"`, '')}{' '}
      <Link to={`/tasks/${agent.step.taskId}`}>{agent.step.taskTitle}</Link>
    </span>
  );
}

/** The server's verdict: a working agent silent for three heartbeats (9 s) is unhealthy. */
export function Health({ agent }: { agent: Agent }) {
  if (agent.status === 'stopped') return <span className="muted">—</span>;
  return agent.isHealthy ? (
    <span className="agents-health good">healthy</span>
  ) : (
    <span className="agents-health bad" title="Working, but no heartbeat for 9 s or more">
      no heartbeat
    </span>
  );
}
