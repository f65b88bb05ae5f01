-- Rights follow the person. A deleted user's API keys are revoked before the user row goes
-- (the key's user_id is then set null, which would otherwise read as a key of no person).
CREATE FUNCTION cadre_revoke_keys_of_deleted_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE api_keys SET revoked_at = now() WHERE user_id = OLD.id AND revoked_at IS NULL;
  RETURN OLD;
END
$$;

CREATE TRIGGER users_revoke_keys BEFORE DELETE
  ON users FOR EACH ROW EXECUTE FUNCTION cadre_revoke_keys_of_deleted_user();

-- Failed password sign-ins per email (known or not, so that the answer reveals nothing), shared
-- by every API node: after a few failures the account is locked for a wait that grows.
CREATE TABLE sign_in_failures (
  email text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  last_failed_at timestamptz
);
CREATE INDEX sign_in_failures_last_failed_idx ON sign_in_failures (last_failed_at);
