// The router: from a policy and the project's confidentiality, the ordered list of deployments
// to try, and the reason. The ONE place privacy is enforced: no other code chooses a model.
import { CadreError } from '../errors/index.js';
import type { BreakerState } from './circuit-breaker.js';
import { estimateCall } from './cost.js';
import type { DeploymentHealth } from './health.js';
import type { Deployment } from './registry.js';
import { unknownModel } from './registry.js';
import type { Capability, GenerateRequest, ModelInfo, ModelTier } from './types.js';

export interface RouteInput {
  deployments: readonly Deployment[];
  request: GenerateRequest;
  inputTokens: number;
  isConfidential: boolean;
  breakerState: (deployment: Deployment) => BreakerState;
  health: (deploymentId: string) => DeploymentHealth;
  random: () => number;
  knownModel: (id: string) => ModelInfo | undefined;
}

export interface Route {
  candidates: Deployment[];
  reason: string;
}

const tiers: readonly ModelTier[] = ['fast', 'balanced', 'best'];

/** Whether `deployment` may receive anything from a project of this confidentiality. */
export function isPermittedByPrivacy(deployment: Deployment, isConfidential: boolean): boolean {
  return !isConfidential || deployment.model.privacy === 'local';
}

/** Chooses and orders the deployments for one call, or throws naming why none fits. */
export function route(input: RouteInput): Route {
  const { request, isConfidential } = input;
  const policy = request.policy ?? {};
  const wanted: Capability[] = [...(policy.capabilities ?? [])];
  if (request.tools && Object.keys(request.tools).length > 0 && !wanted.includes('tools')) {
    wanted.push('tools');
  }
  if (policy.model && !input.knownModel(policy.model)) throw unknownModel(policy.model);
  const excluded: string[] = [];
  const eligible: Deployment[] = [];
  for (const deployment of input.deployments) {
    const why = exclusionOf(deployment, wanted, input);
    if (why === 'not-pinned') continue;
    if (why) excluded.push(`${deployment.id} (${why})`);
    else eligible.push(deployment);
  }
  if (eligible.length === 0) throw noneEligible(input, wanted, excluded);
  const groups = rankModels(eligible, input);
  const chosen = policy.allowFallback === false ? groups.slice(0, 1) : groups;
  const candidates = chosen.flat();
  const first = candidates[0]!;
  const parts = [
    `policy: tier ${policy.tier ?? 'balanced'}` +
      (wanted.length ? `, needs ${wanted.join('+')}` : '') +
      (policy.maxCostUsd !== undefined ? `, ceiling $${policy.maxCostUsd}` : '') +
      (policy.model ? `, pinned ${policy.model}` : ''),
    isConfidential ? 'confidential project: local models only' : '',
    `chose ${first.id} (${describe(first, input)})`,
    candidates.length > 1
      ? `fallback ${candidates
          .slice(1, 4)
          .map((d) => d.id)
          .join(', ')}`
      : '',
    excluded.length ? `excluded ${excluded.slice(0, 4).join(', ')}` : '',
  ];
  return { candidates, reason: parts.filter(Boolean).join('; ') };
}

function exclusionOf(deployment: Deployment, wanted: Capability[], input: RouteInput) {
  const { model } = deployment;
  const policy = input.request.policy ?? {};
  if (policy.model && model.id !== policy.model) return 'not-pinned';
  if (!isPermittedByPrivacy(deployment, input.isConfidential)) return 'cloud, project confidential';
  const missing = wanted.filter((capability) => !model.capabilities[capability]);
  if (missing.length) return `lacks ${missing.join('+')}`;
  if (policy.maxCostUsd !== undefined) {
    const estimate = estimateCall(model, input.request, input.inputTokens);
    if (estimate.costUsd > policy.maxCostUsd) {
      return `estimated $${estimate.costUsd.toFixed(4)} over ceiling`;
    }
  }
  if (input.breakerState(deployment) === 'open') return 'breaker open';
  return null;
}

/** Models best first; within a model, its deployments in weighted random order. */
function rankModels(eligible: Deployment[], input: RouteInput): Deployment[][] {
  const wantedTier = tiers.indexOf(input.request.policy?.tier ?? 'balanced');
  const byModel = new Map<string, Deployment[]>();
  for (const deployment of eligible) {
    const group = byModel.get(deployment.model.id) ?? [];
    group.push(deployment);
    byModel.set(deployment.model.id, group);
  }
  const scored = [...byModel.values()].map((group) => {
    const model = group[0]!.model;
    const health = group.map((d) => input.health(d.id));
    const errorRate = Math.min(...health.map((h) => h.errorRate));
    return {
      group: balance(group, input),
      keys: [
        Math.abs(tiers.indexOf(model.tier) - wantedTier),
        // Only a clearly failing model is demoted; noise must not reshuffle the order.
        errorRate >= 0.5 ? 1 : 0,
        estimateCall(model, input.request, input.inputTokens).costUsd,
        Math.min(...health.map((h) => h.latencyMs)),
      ],
    };
  });
  scored.sort((a, b) => compareKeys(a.keys, b.keys));
  return scored.map((entry) => entry.group);
}

function compareKeys(a: number[], b: number[]): number {
  for (let index = 0; index < a.length; index += 1) {
    const difference = a[index]! - b[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Weighted random order (Efraimidis–Spirakis), failing and busy deployments last. */
function balance(group: Deployment[], input: RouteInput): Deployment[] {
  if (group.length === 1) return group;
  const keyed = group.map((deployment) => {
    const health = input.health(deployment.id);
    const weight = deployment.weight / (1 + health.inFlight) / (1 + 4 * health.errorRate);
    return { deployment, key: Math.pow(input.random(), 1 / weight) };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.map((entry) => entry.deployment);
}

function describe(deployment: Deployment, input: RouteInput): string {
  const health = input.health(deployment.id);
  const estimate = estimateCall(deployment.model, input.request, input.inputTokens);
  return (
    `tier ${deployment.model.tier}, ${deployment.model.privacy}, est $${estimate.costUsd.toFixed(4)}` +
    (health.samples
      ? `, errors ${Math.round(health.errorRate * 100)}%, ~${Math.round(health.latencyMs)} ms`
      : '')
  );
}

function noneEligible(input: RouteInput, wanted: Capability[], excluded: string[]): CadreError {
  const policy = input.request.policy ?? {};
  const pinned = policy.model ? input.knownModel(policy.model) : undefined;
  if (pinned && input.isConfidential && pinned.privacy === 'cloud') {
    return new CadreError(
      'LLM_PRIVACY_VIOLATION',
      `Project ${input.request.context.projectId} is confidential, and ${pinned.id} is a cloud model: nothing from it may be sent there. Use a local model (privacy "local") or clear the project's confidential flag.`,
      { details: { model: pinned.id, projectId: input.request.context.projectId } },
    );
  }
  if (excluded.length > 0 && excluded.every((entry) => entry.endsWith('(breaker open)'))) {
    return new CadreError(
      'LLM_PROVIDER_UNAVAILABLE',
      `Every eligible model's provider is failing and its circuit breaker is open (${excluded.join(', ')}); retry in a moment or configure another provider.`,
      { details: { excluded } },
    );
  }
  const needs = [
    wanted.length ? `capabilities ${wanted.join('+')}` : '',
    input.isConfidential ? 'a local model (confidential project)' : '',
    policy.maxCostUsd !== undefined ? `an estimated cost under $${policy.maxCostUsd}` : '',
    policy.model ? `model ${policy.model}` : '',
  ].filter(Boolean);
  return new CadreError(
    'LLM_NO_ELIGIBLE_MODEL',
    `No configured model satisfies ${needs.join(', ') || 'the policy'}` +
      (excluded.length ? `; excluded: ${excluded.join(', ')}` : '') +
      '. Configure a model that does (docs/models.md) or relax the policy.',
    { details: { excluded } },
  );
}
