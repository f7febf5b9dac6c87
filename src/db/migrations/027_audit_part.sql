-- Up Migration

-- A citizen read's audit entry held, word for word, the field list of every
-- view shaped alike and the reasons of its decision: about 1.3 kB of its
-- 1.8 kB. Such values are now kept once in audit_part, keyed by the SHA-256
-- of their text, and an entry names them (fields_part, reasons_part) instead
-- of holding them (src/audit/store.ts). The entry's hash still covers the
-- values' text, so a changed or missing part breaks every entry naming it,
-- and verify finds the first. Entries written before, and entries written
-- one by one, hold their values as before: exactly one of each pair is set.
CREATE TABLE audit_part (
  hash text PRIMARY KEY,
  text text NOT NULL
);
CREATE TRIGGER audit_part_no_update BEFORE UPDATE ON audit_part FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_part_no_delete BEFORE DELETE ON audit_part FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_part_no_truncate BEFORE TRUNCATE ON audit_part FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_part FROM PUBLIC;

ALTER TABLE audit_log ADD COLUMN fields_part text, ADD COLUMN reasons_part text;
ALTER TABLE audit_log ALTER COLUMN fields_disclosed DROP NOT NULL, ALTER COLUMN reasons DROP NOT NULL;
ALTER TABLE audit_log
  ADD CONSTRAINT audit_log_fields_once CHECK ((fields_disclosed IS NULL) <> (fields_part IS NULL)),
  ADD CONSTRAINT audit_log_reasons_once CHECK ((reasons IS NULL) <> (reasons_part IS NULL));
