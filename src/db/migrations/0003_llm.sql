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

-- Gateways cache each call's scope (project confidentiality, budgets) in memory; these
-- triggers tell every process, at commit, that an organization's scope changed.
CREATE FUNCTION cadre_llm_scope_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('cadre_llm_scope', CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER projects_llm_scope AFTER UPDATE OF is_confidential OR DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION cadre_llm_scope_changed();
CREATE TRIGGER tasks_llm_scope AFTER UPDATE OF budget_usd OR DELETE ON tasks
  FOR EACH ROW EXECUTE FUNCTION cadre_llm_scope_changed();
CREATE TRIGGER llm_budgets_scope AFTER INSERT OR UPDATE OR DELETE ON llm_budgets
  FOR EACH ROW EXECUTE FUNCTION cadre_llm_scope_changed();
