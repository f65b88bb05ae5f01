-- API nodes keep authenticated credentials in memory for a few seconds; any change that can
-- take a credential's rights away tells every node to forget them at once.
CREATE FUNCTION cadre_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cadre_auth', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_auth_changed AFTER UPDATE OF revoked_at, expires_at, role, org_id OR DELETE
  ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION cadre_auth_changed();
CREATE TRIGGER sessions_auth_changed AFTER UPDATE OR DELETE
  ON sessions FOR EACH STATEMENT EXECUTE FUNCTION cadre_auth_changed();
CREATE TRIGGER memberships_auth_changed AFTER UPDATE OR DELETE
  ON memberships FOR EACH STATEMENT EXECUTE FUNCTION cadre_auth_changed();
CREATE TRIGGER users_auth_changed AFTER DELETE
  ON users FOR EACH STATEMENT EXECUTE FUNCTION cadre_auth_changed();
