-- Kills are not failures: a step counts the attempts that failed apart from the leases that
-- expired because their worker died, each with its own bound, and keeps every attempt's error.
ALTER TABLE steps ADD COLUMN failures integer NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN max_lease_expiries integer NOT NULL DEFAULT 5;
-- One object per failed attempt or expired lease: attempt, code, message, worker, at.
ALTER TABLE steps ADD COLUMN attempt_errors jsonb NOT NULL DEFAULT '[]'::jsonb;
