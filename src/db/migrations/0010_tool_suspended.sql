-- A tool call parked before it acted (it waits for a human's approval) is marked so, and is
-- run again when its step resumes.
ALTER TABLE agent_turns DROP CONSTRAINT agent_turns_kind_check;
ALTER TABLE agent_turns ADD CONSTRAINT agent_turns_kind_check
  CHECK (kind IN ('model', 'tool-start', 'tool-suspended', 'tool-result'));
