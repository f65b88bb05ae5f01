-- Accounting of sandboxed runs: what each command used (CPU, wall time, peak memory) and how
-- it ended, for the step that ran it. Measures the machine cannot take are NULL.

CREATE TABLE sandbox_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
  task_id uuid REFERENCES tasks(id) ON DELETE CASCADE,
  step_id uuid REFERENCES steps(id) ON DELETE SET NULL,
  executor text NOT NULL CHECK (executor IN ('bubblewrap', 'podman', 'host')),
  command text[] NOT NULL,
  exit_code integer,
  signal text,
  is_timed_out boolean NOT NULL DEFAULT false,
  is_output_truncated boolean NOT NULL DEFAULT false,
  cpu_ms bigint,
  wall_ms bigint NOT NULL,
  peak_memory_bytes bigint,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_runs_step_idx ON sandbox_runs (step_id) WHERE step_id IS NOT NULL;
CREATE INDEX sandbox_runs_task_started_idx ON sandbox_runs (task_id, started_at DESC);
