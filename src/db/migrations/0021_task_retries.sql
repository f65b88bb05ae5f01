-- A failed or cancelled task can be retried. tasks.attempt counts its runs (1 for the first);
-- a step row belongs to the attempt that made it (steps.attempt). A retry never deletes a step:
-- the rows it runs again become 'superseded', with their transcripts, costs and errors, and
-- fresh rows of the same keys take their place; the steps it keeps stay as they are.
ALTER TABLE tasks ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE steps ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE steps DROP CONSTRAINT steps_status_check;
ALTER TABLE steps ADD CONSTRAINT steps_status_check
  CHECK (status IN ('pending', 'queued', 'running', 'waiting', 'done', 'failed', 'dead', 'cancelled', 'superseded'));
-- A key names one current step of a task; superseded rows of the same key are its history.
ALTER TABLE steps DROP CONSTRAINT steps_task_id_key_key;
CREATE UNIQUE INDEX steps_task_key_current_idx ON steps (task_id, key) WHERE status <> 'superseded';
