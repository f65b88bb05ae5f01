// Observed health of each deployment: exponentially weighted moving averages of latency and
// error rate, and calls in flight. It only observes; the router decides what to do with it.

export interface DeploymentHealth {
  latencyMs: number;
  errorRate: number;
  inFlight: number;
  samples: number;
}

export interface HealthTracker {
  get(deploymentId: string): DeploymentHealth;
  start(deploymentId: string): void;
  finish(deploymentId: string, outcome: { latencyMs: number; isError: boolean }): void;
  /** Ends a call that proved nothing (cancelled by its caller), without a sample. */
  abandon(deploymentId: string): void;
}

/** A tracker whose averages move by `alpha` of each new sample. */
export function createHealthTracker(alpha = 0.2): HealthTracker {
  const byDeployment = new Map<string, DeploymentHealth>();
  const entry = (id: string) => {
    let health = byDeployment.get(id);
    if (!health) {
      health = { latencyMs: 0, errorRate: 0, inFlight: 0, samples: 0 };
      byDeployment.set(id, health);
    }
    return health;
  };
  return {
    get: (id) => ({ ...entry(id) }),
    start: (id) => {
      entry(id).inFlight += 1;
    },
    abandon: (id) => {
      const health = entry(id);
      health.inFlight = Math.max(0, health.inFlight - 1);
    },
    finish: (id, { latencyMs, isError }) => {
      const health = entry(id);
      health.inFlight = Math.max(0, health.inFlight - 1);
      const weight = health.samples === 0 ? 1 : alpha;
      health.errorRate += weight * ((isError ? 1 : 0) - health.errorRate);
      // A failed call's latency says little about a good one's.
      if (!isError) health.latencyMs += weight * (latencyMs - health.latencyMs);
      health.samples += 1;
    },
  };
}
