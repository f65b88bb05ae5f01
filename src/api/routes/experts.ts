// POST /api/experts: ask a circle of models one question and get their aggregated answer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Gateway } from '../../llm/index.js';
import { principalOf } from '../auth-hook.js';
import { Id } from '../schemas.js';

export const ExpertsAsk = z
  .strictObject({
    question: z.string().trim().min(1, 'must not be empty').max(50_000),
    system: z.string().max(20_000).optional(),
    /** Model ids; without them the router's first `count` eligible models. */
    models: z.array(z.string().min(1)).min(2).max(10).optional(),
    count: z.number().int().min(2).max(10).optional(),
    aggregation: z.enum(['vote', 'judge', 'synthesis']),
    /** The choices of a vote. */
    choices: z.array(z.string().trim().min(1)).min(2).max(20).optional(),
    /** The judge or synthesizer model. */
    aggregator: z.string().min(1).optional(),
    quorum: z.number().int().min(1).optional(),
    projectId: Id.optional(),
    maxOutputTokens: z.number().int().positive().max(100_000).optional(),
  })
  .refine((value) => value.aggregation !== 'vote' || value.choices, {
    message: 'a vote needs its choices',
    path: ['choices'],
  });

const ExpertAnswer = z.object({
  model: z.string(),
  status: z.enum(['ok', 'error']),
  answer: z.string().nullable(),
  choice: z.string().nullable().optional(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  costUsd: z.number(),
  latencyMs: z.number(),
});

export const ExpertsAnswer = z.object({
  answer: z.string(),
  agreement: z.number(),
  votes: z.record(z.string(), z.number()).optional(),
  experts: z.array(ExpertAnswer),
  aggregator: z
    .object({ model: z.string(), costUsd: z.number(), latencyMs: z.number() })
    .nullable(),
  costUsd: z.number(),
});

export const expertRoutes: FastifyPluginAsyncZod<{ gateway: Gateway }> = async (
  app,
  { gateway },
) => {
  app.post(
    '/api/experts',
    {
      config: { permission: 'experts:ask' },
      schema: { tags: ['experts'], body: ExpertsAsk, response: { 200: ExpertsAnswer } },
    },
    async (request) => {
      const body = request.body;
      const aggregation =
        body.aggregation === 'vote'
          ? { kind: 'vote' as const, choices: body.choices! }
          : body.aggregation === 'judge'
            ? { kind: 'judge' as const, judge: body.aggregator }
            : { kind: 'synthesis' as const, synthesizer: body.aggregator };
      // The client going away cancels the experts' calls.
      const controller = new AbortController();
      request.raw.once('close', () => {
        if (!request.raw.complete) controller.abort();
      });
      return gateway.askExperts({
        question: body.question,
        system: body.system,
        models: body.models,
        count: body.count,
        aggregation,
        quorum: body.quorum,
        maxOutputTokens: body.maxOutputTokens,
        context: { orgId: principalOf(request).orgId, projectId: body.projectId },
        signal: controller.signal,
      });
    },
  );
};
