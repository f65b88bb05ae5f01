-- A failed model call keeps the provider's own error (HTTP status and message, or the network
-- failure with the server's URL; secrets hidden), so that the settings page can show the last
-- error of each provider, when, and for which model.
ALTER TABLE llm_calls ADD COLUMN error_message text;
CREATE INDEX llm_calls_org_provider_errors_idx ON llm_calls (org_id, provider, created_at DESC)
  WHERE status = 'error';
