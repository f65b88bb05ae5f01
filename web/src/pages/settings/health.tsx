// A provider's or a model's health in words, from the circuit breaker and availability.
import type { BreakerState, Model } from './api';

export type Health = 'available' | 'recovering' | 'failing' | 'not configured';

/** closed: calls go through; half-open: one trial call decides; open: nothing is sent. */
export function healthOf(isConfigured: boolean, breaker: BreakerState | undefined): Health {
  if (!isConfigured) return 'not configured';
  if (breaker === 'open') return 'failing';
  if (breaker === 'half-open') return 'recovering';
  return 'available';
}

export const modelHealth = (model: Model, breakers: Record<string, BreakerState>) =>
  healthOf(model.isAvailable, breakers[model.endpoint]);

const explanations: Record<Health, string> = {
  available: 'Calls go through',
  recovering: 'Failed repeatedly; one trial call decides whether it is back',
  failing: 'Failed repeatedly; nothing is sent to it until its cool-down ends',
  'not configured': 'No key or address is configured for it here',
};

export function HealthBadge({ health }: { health: Health }) {
  return (
    <span
      className={`settings-health settings-health-${health.replace(' ', '-')}`}
      title={explanations[health]}
    >
      {health}
    </span>
  );
}
