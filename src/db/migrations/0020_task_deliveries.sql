-- Where each task's result went, one row per task, replaced as the delivery moves on (a pull
-- request opened, then merged). mode 'local': the base branch of Cadre's own repository, served
-- over git smart HTTP; 'push': a branch of the project's remote; 'pull-request': a pull or merge
-- request on the git host (url, number and state). commit is what was delivered.
CREATE TABLE task_deliveries (
  task_id uuid PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  mode text NOT NULL CHECK (mode IN ('local', 'push', 'pull-request')),
  branch text NOT NULL,
  commit text NOT NULL,
  url text,
  number integer,
  remote_url text,
  state text CHECK (state IN ('open', 'closed', 'merged')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
