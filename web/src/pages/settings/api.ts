// The settings page's view of the API: models, providers, budgets and spend, API keys and the
// caller. Schemas are declared here or taken from the shared contract (src/api/schemas.ts),
// never from the server's route files, which would pull server code into the bundle.
import { z } from 'zod';
import {
  ApiKey,
  ApiKeyCreated,
  BreakerState,
  Id,
  Me,
  ProviderList,
  Role,
  type Provider,
} from '../../../../src/api/schemas';
import { request, type Project } from '../../api';

export type { Project, Provider };
export type { BreakerState };

export type ApiKeyView = z.infer<typeof ApiKey>;
export type NewApiKey = z.infer<typeof ApiKeyCreated>;
export type Identity = z.infer<typeof Me>;
export type MemberRole = z.infer<typeof Role>;
export const memberRoles = Role.options;

export const Model = z.object({
  id: z.string(),
  endpoint: z.string(),
  providerModelId: z.string(),
  tier: z.string(),
  contextWindow: z.number(),
  maxOutputTokens: z.number(),
  capabilities: z.object({
    tools: z.boolean(),
    vision: z.boolean(),
    structuredOutput: z.boolean(),
    embeddings: z.boolean(),
  }),
  /** USD per million tokens. */
  prices: z.object({ input: z.number(), output: z.number(), cachedInput: z.number() }),
  privacy: z.string(),
  isAvailable: z.boolean(),
});
export type Model = z.infer<typeof Model>;

export const ModelList = z.object({
  items: z.array(Model),
  isConfigured: z.boolean(),
  setupGuidance: z.string().nullable(),
  /** Each provider endpoint's circuit breaker, by endpoint name. */
  breakers: z.record(z.string(), BreakerState),
});
export type ModelList = z.infer<typeof ModelList>;

export const BudgetScope = z.enum(['organization', 'project', 'task']);
export type BudgetScope = z.infer<typeof BudgetScope>;
export const BudgetPeriod = z.enum(['total', 'day', 'month']);
export type BudgetPeriod = z.infer<typeof BudgetPeriod>;

export const Budget = z.object({
  id: z.string(),
  scope: BudgetScope,
  scopeId: Id,
  period: BudgetPeriod,
  limitUsd: z.number().nullable(),
  limitTokens: z.number().nullable(),
});
export type Budget = z.infer<typeof Budget>;

export interface BudgetSet {
  scope: BudgetScope;
  scopeId?: string;
  period: BudgetPeriod;
  limitUsd?: number;
  limitTokens?: number;
}

export const SpendReport = z.object({
  items: z.array(
    z.object({
      key: z.string().nullable(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      costUsd: z.number(),
    }),
  ),
  totalUsd: z.number(),
});
export type SpendReport = z.infer<typeof SpendReport>;

const json = (method: string, body: unknown): RequestInit => ({
  method,
  body: JSON.stringify(body),
});

export const settingsApi = {
  models: () => request(ModelList, '/api/models'),
  providers: () => request(ProviderList, '/api/providers').then((list) => list.items),
  budgets: () =>
    request(z.object({ items: z.array(Budget) }), '/api/budgets').then((page) => page.items),
  setBudget: (budget: BudgetSet) => request(Budget, '/api/budgets', json('PUT', budget)),
  deleteBudget: (id: string) =>
    request(z.undefined(), `/api/budgets/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  spend: (query: Record<string, string>) =>
    request(SpendReport, `/api/spend?${new URLSearchParams({ groupBy: 'day', ...query })}`),
  keys: () => request(z.object({ items: z.array(ApiKey) }), '/api/keys').then((page) => page.items),
  createKey: (key: { name: string; role: MemberRole; expiresAt?: string }) =>
    request(ApiKeyCreated, '/api/keys', json('POST', key)),
  revokeKey: (id: string) =>
    request(z.undefined(), `/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  me: () => request(Me, '/api/auth/me'),
  changePassword: (password: string) =>
    request(z.undefined(), '/api/auth/password', json('PUT', { password })),
};
