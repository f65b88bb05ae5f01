-- What the dashboard's hourly charts scan (GET /api/summary): the organization's tasks and
-- steps that finished within the last hours, without reading every step ever run.
CREATE INDEX tasks_org_finished_idx ON tasks (org_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX steps_org_finished_idx ON steps (org_id, updated_at)
  WHERE status IN ('done', 'failed', 'dead');
