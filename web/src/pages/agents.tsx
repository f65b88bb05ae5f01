// The team: its agents as they work, kept current by the live connection, and the roles they
// play. It only reads; workers own the agents' rows.
import { useEffect } from 'react';
import { api } from '../api';
import { useNow, useThrottled } from '../hooks';
import { useLive } from '../live-context';
import { Link, navigate, useLocation } from '../router';
import { Empty, ErrorNote, Loaded, useResource } from '../ui';
import { AgentDetail } from './agents/agent-detail';
import { AgentTable } from './agents/agent-table';
import { agentsApi, type Agent } from './agents/api';
import { RoleCards } from './agents/role-cards';
import './agents.css';

export function AgentsPage() {
  const agents = useResource(api.agents, 'agents');
  const roles = useResource(agentsApi.roles, 'roles');
  const now = useNow(5_000);
  const selectedId = useLocation().query.get('agent');

  const reload = useThrottled(agents.reload, 1_000);
  // Agent changes are not replayed: after a reconnect, what was missed is read again.
  useLive(
    { scope: 'organization' },
    (message) => {
      if (message.type === 'agent') reload();
    },
    reload,
  );

  // Heartbeats send no live message: while agents work, read them again now and then, so that
  // one that falls silent is seen to.
  const isAnyWorking = agents.data?.some((agent) => agent.status === 'working') ?? false;
  useEffect(() => {
    if (!isAnyWorking) return;
    const timer = setInterval(reload, refreshWhileWorkingMs);
    return () => clearInterval(timer);
  }, [isAnyWorking, reload]);

  const select = (agentId: string | null) =>
    navigate(agentId ? `/agents?agent=${encodeURIComponent(agentId)}` : '/agents');
  const selected = agents.data?.find((agent) => agent.id === selectedId);

  return (
    <div className="stack">
      <div className={`agents-layout ${selected ? 'with-detail' : ''}`}>
        <section className="card" aria-labelledby="agents-heading">
          <header className="agents-head">
            <h1 id="agents-heading">Agents</h1>
            {agents.data && agents.data.length > 0 && (
              <span className="muted" data-testid="agents-summary">
                {summarize(agents.data)}
              </span>
            )}
          </header>
          {agents.error && agents.data && (
            <ErrorNote error={agents.error} onRetry={agents.reload} />
          )}
          <Loaded resource={agents} what="agents">
            {(items) =>
              items.length === 0 ? (
                <Empty>
                  No agents yet: an agent appears when a worker takes the first step of a task.{' '}
                  <Link to="/tasks">Create a task</Link> to start one. Workers run inside{' '}
                  <code>cadre up</code>; start more with <code>cadre worker</code>.
                </Empty>
              ) : (
                <div className="table-scroll">
                  <AgentTable agents={items} now={now} selectedId={selectedId} onSelect={select} />
                </div>
              )
            }
          </Loaded>
        </section>
        {selected && <AgentDetail agent={selected} now={now} onClose={() => select(null)} />}
      </div>
      <section className="card" aria-labelledby="roles-heading">
        <h2 id="roles-heading">Roles</h2>
        <p className="muted agents-intro">
          Each step of a task runs as one of these roles. Roles are changed with{' '}
          <code>PUT /api/roles/:name</code> or the <code>roles</code> section of{' '}
          <code>cadre.config.yaml</code>.
        </p>
        <Loaded resource={roles} what="roles">
          {(items) =>
            items.length === 0 ? (
              <Empty>No roles are defined. Add one to the configuration or the API.</Empty>
            ) : (
              <RoleCards roles={items} agents={agents.data ?? []} />
            )
          }
        </Loaded>
      </section>
    </div>
  );
}

const refreshWhileWorkingMs = 10_000;

/** "2 working · 3 idle", most urgent first. */
function summarize(agents: Agent[]): string {
  const order = ['working', 'waiting', 'error', 'idle', 'stopped'];
  const counts = new Map<string, number>();
  for (const agent of agents) counts.set(agent.status, (counts.get(agent.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => rank(order, a) - rank(order, b))
    .map(([status, count]) => `${count} ${status}`)
    .join(' · ');
}

const rank = (order: string[], status: string) =>
  order.includes(status) ? order.indexOf(status) : order.length;
