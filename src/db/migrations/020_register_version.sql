-- Up Migration

-- The sharing agreements' version (issue 7). A statement trigger bumps it in
-- the transaction of every change to sharing_agreement, so a hub process may
-- decide a citizen read from the agreements it cached at some version as
-- long as the read's audit insert, which checks this row in its own
-- statement (src/audit/store.ts, src/register/policy-inputs.ts), still
-- finds that version: an agreement changed, suspended or ended before the
-- insert makes it insert nothing, and the read is decided again from the
-- register. No row (deleted) fails every such check, so the hub falls back
-- to reading the register on every read.
CREATE TABLE register_version (
  one        boolean PRIMARY KEY DEFAULT true CHECK (one),
  agreements bigint NOT NULL
);
INSERT INTO register_version (agreements) VALUES (1);

CREATE FUNCTION register_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE register_version SET agreements = agreements + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER sharing_agreement_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sharing_agreement
  FOR EACH STATEMENT EXECUTE FUNCTION register_version_bump();
