-- Up Migration

-- Each hub process remembers the API keys it has checked (src/auth/client-cache.ts)
-- and LISTENs on this channel: any change to a client (revocation above all,
-- from whatever process or session) names its key id, and a change to an
-- organisation, or a TRUNCATE of either, clears everything (the organisation's
-- name is part of every cached client).
-- NOTIFY is delivered at COMMIT, so no process hears of a change that rolled back.
CREATE FUNCTION api_client_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_client' AND TG_LEVEL = 'ROW' THEN
    PERFORM pg_notify('api_client_changed', OLD.key_id);
  ELSE
    PERFORM pg_notify('api_client_changed', '');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER api_client_changed AFTER UPDATE OR DELETE ON api_client FOR EACH ROW EXECUTE FUNCTION api_client_changed();
CREATE TRIGGER organisation_changed AFTER UPDATE OR DELETE ON organisation FOR EACH ROW EXECUTE FUNCTION api_client_changed();
CREATE TRIGGER api_client_truncated AFTER TRUNCATE ON api_client FOR EACH STATEMENT EXECUTE FUNCTION api_client_changed();
CREATE TRIGGER organisation_truncated AFTER TRUNCATE ON organisation FOR EACH STATEMENT EXECUTE FUNCTION api_client_changed();

-- Down Migration
DROP TRIGGER organisation_truncated ON organisation;
DROP TRIGGER api_client_truncated ON api_client;
DROP TRIGGER organisation_changed ON organisation;
DROP TRIGGER api_client_changed ON api_client;
DROP FUNCTION api_client_changed();
