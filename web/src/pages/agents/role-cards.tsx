// The team's roles as compact cards: what each is for, the model it asks for, its limits and
// its tools, with how many agents of it exist right now.
import type { Agent, Role } from './api';

export function RoleCards({ roles, agents }: { roles: Role[]; agents: Agent[] }) {
  return (
    <div className="agents-roles" data-testid="roles">
      {roles.map((role) => (
        <article key={role.name} className="agents-role" aria-label={`Role ${role.name}`}>
          <header>
            <h3>{role.name}</h3>
            <span className="muted">{agentCount(agents, role.name)}</span>
          </header>
          <p>{role.description}</p>
          <p className="muted agents-policy">
            {describePolicy(role)} · up to {role.maxTurns} turns ·{' '}
            {Math.round(role.budgetShare * 100)}% of a task's budget per step
          </p>
          <ul className="agents-tools" aria-label="Tools">
            {role.tools.map((tool) => (
              <li key={tool}>{tool}</li>
            ))}
          </ul>
        </article>
      ))}
    </div>
  );
}

function describePolicy({ modelPolicy }: Role): string {
  const parts = [
    modelPolicy.model ? `model ${modelPolicy.model}` : `${modelPolicy.tier} tier`,
    modelPolicy.capabilities
      .map((capability) => (capability === 'structuredOutput' ? 'structured output' : capability))
      .join(', '),
  ];
  if (modelPolicy.maxCostUsd !== undefined) parts.push(`at most $${modelPolicy.maxCostUsd}/call`);
  return parts.filter(Boolean).join(' · ');
}

function agentCount(agents: Agent[], role: string): string {
  const ofRole = agents.filter((agent) => agent.role === role);
  if (ofRole.length === 0) return 'no agents';
  const working = ofRole.filter((agent) => agent.status === 'working').length;
  const count = `${ofRole.length} agent${ofRole.length === 1 ? '' : 's'}`;
  return working > 0 ? `${count}, ${working} working` : count;
}
