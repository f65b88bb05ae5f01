-- The LLM gateway's tables: spending budgets and the exact-match response cache.
-- The ledger itself (llm_calls) is in 0001_core.sql.

CREATE TABLE llm_budgets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  scope text NOT NULL CHECK (scope IN ('organization', 'project', 'task')),
  -- The organization's own id for scope 'organization'.
  scope_id uuid NOT NULL,
  period text NOT NULL CHECK (period IN ('total', 'day', 'month')),
  limit_usd numeric(14, 4),
  limit_tokens bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (limit_usd IS NOT NULL OR limit_tokens IS NOT NULL),
  UNIQUE (org_id, scope, scope_id, period)
);

CREATE TABLE llm_cache (
  key text PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  model text NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX llm_cache_expires_idx ON llm_cache (expires_at);

CREATE INDEX llm_calls_project_created_idx ON llm_calls (project_id, created_at);
CREATE INDEX llm_calls_task_created_idx ON llm_calls (task_id, created_at);
