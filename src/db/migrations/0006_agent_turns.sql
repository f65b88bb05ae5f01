-- A step's transcript: every model turn and tool result of its agent, in order, written
-- before the agent goes on, so a resumed step continues from its last turn.
CREATE TABLE agent_turns (
  step_id uuid NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
  seq integer NOT NULL,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('model', 'tool-start', 'tool-result')),
  entry jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (step_id, seq)
);
