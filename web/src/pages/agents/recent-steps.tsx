// The last steps an agent ran, newest first, with how long each took: read from
// GET /api/agents/:id again whenever the agent changes status or step.
import { useEffect, useRef } from 'react';
import { Link } from '../../router';
import { Empty, formatAgo, formatDuration, Loaded, StatusBadge, useResource } from '../../ui';
import { agentsApi, type Agent } from './api';

export function RecentSteps({ agent, now }: { agent: Agent; now: number }) {
  const detail = useResource(() => agentsApi.agent(agent.id), agent.id);
  const { reload } = detail;
  const change = `${agent.status}:${agent.currentStepId}`;
  const seen = useRef(change);
  useEffect(() => {
    if (seen.current === change) return;
    seen.current = change;
    reload();
  }, [change, reload]);

  return (
    <Loaded resource={detail} what="recent steps">
      {({ recentSteps }) =>
        recentSteps.length === 0 ? (
          <Empty>It has not run a step yet.</Empty>
        ) : (
          <ol className="agents-steps" data-testid="agent-steps">
            {recentSteps.map((step) => (
              <li key={step.stepId}>
                <div className="agents-step-head">
                  <strong>{step.key}</strong> <span className="muted">{step.kind}</span>
                  <StatusBadge status={step.status} />
                </div>
                <Link to={`/tasks/${step.taskId}`}>{step.taskTitle}</Link>
                <span className="muted agents-step-time">
                  {step.durationMs !== null
                    ? `took ${formatDuration(step.durationMs)}`
                    : step.startedAt
                      ? 'running'
                      : 'not started'}
                  {step.startedAt && ` · started ${formatAgo(step.startedAt, now)}`}
                </span>
              </li>
            ))}
          </ol>
        )
      }
    </Loaded>
  );
}
