-- Sprints group tasks: ordered by priority and by the tasks each depends on, with a capacity
-- measured in budget. Agents remember the worker that runs them, so that a worker's agents
-- can be marked stopped when it stops.

CREATE TABLE sprints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  capacity_usd numeric(12, 4),
  starts_at timestamptz,
  ends_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX sprints_org_idx ON sprints (org_id, created_at DESC);

ALTER TABLE tasks ADD COLUMN sprint_id uuid REFERENCES sprints(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN depends_on uuid[] NOT NULL DEFAULT '{}'::uuid[];
CREATE INDEX tasks_sprint_idx ON tasks (sprint_id) WHERE sprint_id IS NOT NULL;

-- A worker has one agent per role and step it runs at once (developer@w1, developer@w1#2 …).
ALTER TABLE agents ADD COLUMN worker_id text;
CREATE UNIQUE INDEX agents_worker_name_idx ON agents (org_id, worker_id, name);
