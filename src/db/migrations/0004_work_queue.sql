-- The durable work queue lives in the steps table: a ready step is 'queued', a claimed one
-- 'running' under a lease whose token fences out a worker that lost it.

ALTER TABLE steps ADD COLUMN priority integer NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN claimed_at timestamptz;
ALTER TABLE steps ADD COLUMN enqueued_at timestamptz;
ALTER TABLE steps ADD CONSTRAINT steps_status_check
  CHECK (status IN ('pending', 'queued', 'running', 'done', 'failed', 'dead', 'cancelled'));

-- What workers scan: only ready steps, in the order they are taken.
CREATE INDEX steps_ready_idx ON steps (priority DESC, run_after, id) WHERE status = 'queued';
-- What the sweeper scans: only leased steps.
CREATE INDEX steps_leased_idx ON steps (lease_expires_at) WHERE status = 'running';
CREATE INDEX steps_task_idx ON steps (task_id);
