-- Which agent ran a step (its latest attempt), so that an agent's page can list what it did.
-- The worker sets it in the statement that records the agent starting the step.
ALTER TABLE steps ADD COLUMN agent_id uuid REFERENCES agents(id) ON DELETE SET NULL;
CREATE INDEX steps_agent_idx ON steps (agent_id, claimed_at DESC) WHERE agent_id IS NOT NULL;
