-- The base branch each task branch started from, kept here rather than in the repository's git
-- config: git's config lock fails concurrent writers, and a repository's config is not a
-- record Cadre can trust or share between machines. Keyed by the workspace's own ids.
CREATE TABLE task_branches (
  project_id text NOT NULL,
  task_id text NOT NULL,
  base_branch text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, task_id)
);
