// The last error each deployment's provider gave (its HTTP status and own message, or the
// network failure with the URL), kept until that deployment answers again, so that a refusal
// made later (an open breaker, a budget, a model gone from the list) can name the real cause.
import { CadreError } from '../errors/index.js';
import type { Deployment } from './registry.js';
import type { Failure } from './retry.js';

export interface ProviderError {
  deployment: string;
  endpoint: string;
  model: string;
  /** HTTP_404, NETWORK, LLM_TIMEOUT… as in llm_calls.error_code. */
  code: string;
  /** The provider's own words, with the endpoint's secrets hidden. */
  message: string;
  at: string;
}

export interface ProviderErrors {
  record(deployment: Deployment, failure: Failure, at: number): void;
  /** The deployment answered: its earlier error is no longer the cause of anything. */
  clear(deploymentId: string): void;
  /** The most recent error not yet followed by an answer from the same deployment. */
  latest(): ProviderError | undefined;
}

/** An empty record. */
export function createProviderErrors(): ProviderErrors {
  const byDeployment = new Map<string, ProviderError>();
  return {
    record: (deployment, failure, at) =>
      void byDeployment.set(deployment.id, {
        deployment: deployment.id,
        endpoint: deployment.endpoint.name,
        model: deployment.model.id,
        code: failure.code,
        message: failure.message,
        at: new Date(at).toISOString(),
      }),
    clear: (deploymentId) => void byDeployment.delete(deploymentId),
    latest: () => {
      let newest: ProviderError | undefined;
      for (const error of byDeployment.values())
        if (!newest || error.at >= newest.at) newest = error;
      return newest;
    },
  };
}

/** "openai/x@openai answered HTTP_404 at …: The model `x` does not exist". */
export function describeProviderError(error: ProviderError): string {
  return `${error.deployment} answered ${error.code} at ${error.at}: ${error.message}`.slice(
    0,
    600,
  );
}

/**
 * The same error (code, status, details) with the provider's last error named after its own
 * message: a refusal made because a provider failed must not hide that failure.
 */
export function namingProviderError(
  error: CadreError,
  last: ProviderError | undefined,
): CadreError {
  if (!last || error.message.includes(last.message)) return error;
  const details =
    error.details && typeof error.details === 'object' ? (error.details as object) : {};
  return new CadreError(
    error.code,
    `${error.message} The last provider error: ${describeProviderError(last)}.`,
    { cause: error.cause, status: error.status, details: { ...details, lastProviderError: last } },
  );
}
