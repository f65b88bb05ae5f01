-- A project can come from a repository on a git host and deliver back to it. remote_url is the
-- upstream repository (never with a credential in it); remote_branch the branch tasks start from
-- and deliver to. delivery_mode says where a finished task's work goes: a pull request on the
-- host, a push to a branch of the remote, or Cadre's own repository (served over git smart HTTP).
-- host_kind / host_api_url / host_repository name the git host's REST API and the repository on it.
ALTER TABLE projects ADD COLUMN remote_url text;
ALTER TABLE projects ADD COLUMN remote_branch text;
ALTER TABLE projects ADD COLUMN delivery_mode text NOT NULL DEFAULT 'local'
  CHECK (delivery_mode IN ('pull-request', 'push', 'local'));
ALTER TABLE projects ADD COLUMN push_branch text;
ALTER TABLE projects ADD COLUMN host_kind text CHECK (host_kind IN ('github', 'gitlab', 'gitea'));
ALTER TABLE projects ADD COLUMN host_api_url text;
ALTER TABLE projects ADD COLUMN host_repository text;

-- Secrets of a project (a git credential, the host's API token, the webhook secret), envelope
-- encrypted: the value under a data key of its own, the data key under the instance's master key.
-- Never returned by the API; a project keeps at most one secret of each kind.
CREATE TABLE project_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('git-token', 'ssh-key', 'host-token', 'webhook-secret')),
  sealed bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, kind)
);
