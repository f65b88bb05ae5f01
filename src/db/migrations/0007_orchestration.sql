-- What the orchestrator needs beyond the queue: the kind of each step, the round of a gate,
-- the accepted plan, human approvals, project settings for approval gates, and memory.

ALTER TABLE steps ADD COLUMN kind text NOT NULL DEFAULT 'work'
  CHECK (kind IN ('plan', 'work', 'fix', 'review', 'test', 'merge'));
ALTER TABLE steps ADD COLUMN round integer NOT NULL DEFAULT 0;
ALTER TABLE steps DROP CONSTRAINT steps_status_check;
ALTER TABLE steps ADD CONSTRAINT steps_status_check
  CHECK (status IN ('pending', 'queued', 'running', 'waiting', 'done', 'failed', 'dead', 'cancelled'));

ALTER TABLE tasks ADD COLUMN plan jsonb;

ALTER TABLE projects ADD COLUMN approve_before_merge boolean NOT NULL DEFAULT false;
ALTER TABLE projects ADD COLUMN approve_network_commands boolean NOT NULL DEFAULT true;

CREATE TABLE approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  step_id uuid REFERENCES steps(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('question', 'merge', 'network')),
  question text NOT NULL,
  tool_call_id text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  answer text,
  decided_by text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (step_id, tool_call_id)
);
CREATE INDEX approvals_task_idx ON approvals (task_id);

CREATE TABLE memories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
  text text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}'::text[],
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memories_search_idx ON memories USING gin (to_tsvector('english', text));
CREATE INDEX memories_project_idx ON memories (project_id, created_at DESC);
