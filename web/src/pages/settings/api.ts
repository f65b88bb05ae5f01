// The settings page's view of the API: models, providers, budgets and spend, API keys and the
// caller. Schemas come from the shared contract (src/api/schemas.ts), never from the server's
// route files, which would pull server code into the bundle.
import { z } from 'zod';
import {
  ApiKey,
  ApiKeyCreated,
  Budget,
  BudgetList,
  Me,
  ModelList,
  ProviderList,
  Role,
  SpendReport,
  type BreakerState,
  type BudgetPeriod,
  type BudgetScope,
  type BudgetSet,
  type Model,
  type Provider,
} from '../../../../src/api/schemas';
import { request, type Project } from '../../api';

export type {
  BreakerState,
  Budget,
  BudgetPeriod,
  BudgetScope,
  BudgetSet,
  Model,
  ModelList,
  Project,
  Provider,
  SpendReport,
};

export type ApiKeyView = z.infer<typeof ApiKey>;
export type NewApiKey = z.infer<typeof ApiKeyCreated>;
export type Identity = z.infer<typeof Me>;
export type MemberRole = z.infer<typeof Role>;
export const memberRoles = Role.options;

const json = (method: string, body: unknown): RequestInit => ({
  method,
  body: JSON.stringify(body),
});

export const settingsApi = {
  models: () => request(ModelList, '/api/models'),
  providers: () => request(ProviderList, '/api/providers').then((list) => list.items),
  /** Asks the servers models are discovered on for their lists again. */
  refreshProviders: () =>
    request(ProviderList, '/api/providers?refresh=true').then((list) => list.items),
  budgets: () => request(BudgetList, '/api/budgets').then((page) => page.items),
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
  /** The current password is needed once one is set; the change signs out every other session. */
  changePassword: (password: string, currentPassword?: string) =>
    request(z.undefined(), '/api/auth/password', json('PUT', { password, currentPassword })),
};
