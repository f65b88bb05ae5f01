// The circle of experts: the same question to several models in parallel, aggregated by
// majority vote, a judge model or a synthesis with an agreement score. Every call goes
// through the gateway (router, privacy, budgets, ledger); it never calls a provider itself.
import { CadreError, validationError } from '../errors/index.js';
import type { CallContext, GenerateRequest, GenerateResult, ModelMessage } from './types.js';

export type Aggregation =
  | { kind: 'vote'; choices: string[] }
  | { kind: 'judge'; judge?: string | undefined }
  | { kind: 'synthesis'; synthesizer?: string | undefined };

export interface ExpertsRequest {
  question: string;
  system?: string | undefined;
  /** The experts' model ids; without them the router's first `count` eligible models. */
  models?: string[] | undefined;
  count?: number | undefined;
  aggregation: Aggregation;
  /** How many experts must answer (default: a majority of those asked). */
  quorum?: number | undefined;
  context: CallContext;
  maxOutputTokens?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface ExpertAnswer {
  model: string;
  status: 'ok' | 'error';
  answer: string | null;
  /** The choice read from the answer, for a vote. */
  choice?: string | null;
  error: { code: string; message: string } | null;
  costUsd: number;
  latencyMs: number;
}

export interface ExpertsResult {
  answer: string;
  /** 0 to 1: how far the experts agree. */
  agreement: number;
  votes?: Record<string, number>;
  experts: ExpertAnswer[];
  /** The judge's or synthesizer's call, when there was one. */
  aggregator: { model: string; costUsd: number; latencyMs: number } | null;
  costUsd: number;
}

/** The gateway functions the circle needs. */
export interface ExpertsGateway {
  generate(request: GenerateRequest): Promise<GenerateResult>;
  eligibleModels(context: CallContext): Promise<string[]>;
}

/** Asks the experts and aggregates; throws LLM_QUORUM_NOT_REACHED when too few answer. */
export async function askExperts(
  gateway: ExpertsGateway,
  request: ExpertsRequest,
): Promise<ExpertsResult> {
  const models = await chooseExperts(gateway, request);
  const quorum = request.quorum ?? Math.floor(models.length / 2) + 1;
  if (quorum < 1 || quorum > models.length) {
    throw validationError('quorum', `must be between 1 and the ${models.length} experts asked`);
  }
  const { aggregation } = request;
  const question =
    aggregation.kind === 'vote'
      ? `${request.question}\n\nAnswer with exactly one of these choices on the first line: ${aggregation.choices.join(' | ')}. Then explain briefly.`
      : request.question;
  const experts = await Promise.all(
    models.map((model) => askOne(gateway, request, model, question)),
  );
  const answered = experts.filter((expert) => expert.status === 'ok');
  if (answered.length < quorum) {
    throw new CadreError(
      'LLM_QUORUM_NOT_REACHED',
      `Only ${answered.length} of ${models.length} experts answered; the quorum is ${quorum}. Failures: ${experts
        .filter((expert) => expert.error)
        .map((expert) => `${expert.model}: ${expert.error!.code}`)
        .join(', ')}.`,
      { details: { experts } },
    );
  }
  const expertCost = experts.reduce((sum, expert) => sum + expert.costUsd, 0);
  if (aggregation.kind === 'vote') return tallyVotes(experts, aggregation.choices, expertCost);
  return aggregateWithModel(gateway, request, experts, expertCost);
}

async function chooseExperts(gateway: ExpertsGateway, request: ExpertsRequest): Promise<string[]> {
  if (request.models && request.models.length > 0) return [...new Set(request.models)];
  const count = request.count ?? 3;
  const eligible = await gateway.eligibleModels(request.context);
  if (eligible.length < 2) {
    throw validationError(
      'models',
      `a circle needs at least two models; ${eligible.length} is eligible here`,
    );
  }
  return eligible.slice(0, count);
}

async function askOne(
  gateway: ExpertsGateway,
  request: ExpertsRequest,
  model: string,
  question: string,
): Promise<ExpertAnswer> {
  const startedAt = Date.now();
  try {
    const result = await gateway.generate({
      messages: [{ role: 'user', content: question }],
      system: request.system,
      policy: { model, allowFallback: false },
      context: request.context,
      maxOutputTokens: request.maxOutputTokens,
      signal: request.signal,
    });
    return {
      model,
      status: 'ok',
      answer: result.text,
      error: null,
      costUsd: result.costUsd,
      latencyMs: result.latencyMs,
    };
  } catch (error) {
    const code = error instanceof CadreError ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    return {
      model,
      status: 'error',
      answer: null,
      error: { code, message },
      costUsd: 0,
      latencyMs: Date.now() - startedAt,
    };
  }
}

/** The choice an answer names: its first line when that is a choice, else the first named. */
export function readChoice(answer: string, choices: readonly string[]): string | null {
  const normalise = (text: string) =>
    text
      .trim()
      .toLowerCase()
      .replace(/[.*_`"'!]+/g, '')
      .trim();
  const firstLine = normalise(answer.split('\n')[0] ?? '');
  const exact = choices.find((choice) => normalise(choice) === firstLine);
  if (exact) return exact;
  const lower = answer.toLowerCase();
  let best: { choice: string; index: number } | null = null;
  for (const choice of choices) {
    const index = lower.indexOf(choice.toLowerCase());
    if (index >= 0 && (!best || index < best.index)) best = { choice, index };
  }
  return best?.choice ?? null;
}

function tallyVotes(experts: ExpertAnswer[], choices: string[], costUsd: number): ExpertsResult {
  const votes: Record<string, number> = Object.fromEntries(choices.map((choice) => [choice, 0]));
  for (const expert of experts) {
    if (expert.status !== 'ok') continue;
    expert.choice = readChoice(expert.answer!, choices);
    if (expert.choice) votes[expert.choice] = (votes[expert.choice] ?? 0) + 1;
  }
  const answered = experts.filter((expert) => expert.status === 'ok').length;
  // Ties go to the choice listed first, so that the outcome is reproducible.
  const winner = choices.reduce((best, choice) => (votes[choice]! > votes[best]! ? choice : best));
  return {
    answer: winner,
    agreement: votes[winner]! / answered,
    votes,
    experts,
    aggregator: null,
    costUsd,
  };
}

async function aggregateWithModel(
  gateway: ExpertsGateway,
  request: ExpertsRequest,
  experts: ExpertAnswer[],
  expertCost: number,
): Promise<ExpertsResult> {
  const answered = experts.filter((expert) => expert.status === 'ok');
  const listing = answered
    .map((expert, index) => `Answer ${index + 1}:\n${expert.answer}`)
    .join('\n\n');
  const isJudge = request.aggregation.kind === 'judge';
  const instruction = isJudge
    ? `Several experts answered the question below. Reply with the number of the best answer on the first line, then one sentence why.`
    : `Several experts answered the question below. Write one answer that keeps what they agree on and settles where they differ. End with a last line "AGREEMENT: <number from 0 to 1>" saying how far the experts agree.`;
  const { aggregation } = request;
  const aggregatorModel =
    aggregation.kind === 'judge'
      ? aggregation.judge
      : aggregation.kind === 'synthesis'
        ? aggregation.synthesizer
        : undefined;
  const messages: ModelMessage[] = [
    { role: 'user', content: `${instruction}\n\nQuestion:\n${request.question}\n\n${listing}` },
  ];
  const result = await gateway.generate({
    messages,
    policy: aggregatorModel ? { model: aggregatorModel } : { tier: 'best' },
    context: request.context,
    maxOutputTokens: request.maxOutputTokens,
    temperature: 0,
    signal: request.signal,
  });
  const aggregator = { model: result.model, costUsd: result.costUsd, latencyMs: result.latencyMs };
  const costUsd = expertCost + result.costUsd;
  const lexical = lexicalAgreement(answered.map((expert) => expert.answer!));
  if (isJudge) {
    const pick = Number(/\d+/.exec(result.text)?.[0] ?? '1');
    const chosen = answered[Math.min(Math.max(pick, 1), answered.length) - 1]!;
    return { answer: chosen.answer!, agreement: lexical, experts, aggregator, costUsd };
  }
  const stated = /AGREEMENT:\s*([01](?:\.\d+)?)\s*$/i.exec(result.text.trim());
  const answer = result.text.replace(/\n?AGREEMENT:.*$/i, '').trim();
  const agreement = stated ? Math.min(1, Number(stated[1])) : lexical;
  return { answer, agreement, experts, aggregator, costUsd };
}

/** The mean pairwise overlap (Jaccard) of the answers' word sets, 0 to 1. */
export function lexicalAgreement(answers: readonly string[]): number {
  if (answers.length < 2) return 1;
  const sets = answers.map(
    (answer) => new Set(answer.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []),
  );
  let total = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i += 1) {
    for (let j = i + 1; j < sets.length; j += 1) {
      const a = sets[i]!;
      const b = sets[j]!;
      const shared = [...a].filter((word) => b.has(word)).length;
      const union = new Set([...a, ...b]).size;
      total += union === 0 ? 1 : shared / union;
      pairs += 1;
    }
  }
  return total / pairs;
}
