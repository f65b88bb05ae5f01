-- Git hosts: the issue label that hands an issue to Cadre, the webhook deliveries received (their
-- ids, so that a replayed delivery does nothing), the link of each task to the issue it came from
-- and the pull request it delivers to, and the comments Cadre posted on the host about a task
-- (each once, however many processes hear the event).
ALTER TABLE projects ADD COLUMN host_intake_label text NOT NULL DEFAULT 'cadre';

CREATE TABLE webhook_deliveries (
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  delivery_id text NOT NULL,
  host_kind text NOT NULL CHECK (host_kind IN ('github', 'gitlab', 'gitea')),
  event text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, delivery_id)
);
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);

CREATE TABLE task_host_links (
  task_id uuid PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  issue_number integer,
  issue_url text,
  pull_request_number integer,
  pull_request_url text,
  head_branch text,
  -- Review threads (ids as the host's API takes them) whose feedback the next delivery answers.
  review_threads jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_host_links_pull_request ON task_host_links (project_id, pull_request_number);

CREATE TABLE host_comments (
  task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  -- What the comment is about, e.g. 'plan-accepted' or 'pull-request-opened:3'.
  topic text NOT NULL,
  comment_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, topic)
);
