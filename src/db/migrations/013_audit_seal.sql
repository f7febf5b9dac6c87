-- Up Migration

-- The audit trail is sealed after commit instead of chained at insert
-- (docs/audit.md). A read inserts its audit rows in its own transaction with
-- an id from a sequence and the hash of their own content, taking no lock
-- another read waits for; one sealer at a time chains the committed rows in
-- audit_seal. Chain order is seal order, not id order.

DROP TRIGGER audit_log_extend ON audit_log;
DROP FUNCTION audit_log_extend();
DROP TABLE audit_head;

CREATE SEQUENCE audit_log_seq AS bigint OWNED BY audit_log.seq;
SELECT setval('audit_log_seq', coalesce((SELECT max(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq');
-- Only rows chained at insert (before this migration) have a previous hash; their hash covers it.
ALTER TABLE audit_log ALTER COLUMN prev_hash DROP NOT NULL;
-- The hash includes the row's seq, so it is unique anyway; one index less on every read.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_hash_key;
-- The inserting transaction (its xmin, as a 64-bit id): the sealer takes rows
-- whose transaction has finished, i.e. tx below the snapshot's xmin, so a slow
-- transaction holding a lower seq is sealed later instead of skipped. Not
-- covered by the hash: a row with a forged tx escapes sealing, which verify reports.
ALTER TABLE audit_log ADD COLUMN tx xid8;
ALTER TABLE audit_log ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX audit_log_tx ON audit_log (tx);

-- The chain: seal n says which audit row came n-th and carries
-- chain_hash = sha256(chain_hash of seal n-1 || '\n' || entry_hash), the
-- first one chained from 64 zeros. Written only by the sealer.
CREATE TABLE audit_seal (
  seal_seq   bigint PRIMARY KEY CHECK (seal_seq >= 1),
  audit_seq  bigint NOT NULL UNIQUE,
  entry_hash text NOT NULL,
  chain_hash text NOT NULL,
  sealed_at  timestamptz NOT NULL DEFAULT now()
);

-- Every inserted seal must extend the chain without a gap, from the seal
-- before it, and seal an existing row with the hash that row carries; checked
-- in the database per statement, so that no writer, however written, can
-- fork the chain (two seals of one seq or one row are refused by the keys).
CREATE FUNCTION audit_seal_extend() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad bigint;
BEGIN
  -- Lookups by key, planned afresh by EXECUTE at every statement: a plan cached
  -- in the sealer's session while the tables were small scans them whole later.
  EXECUTE $q$
    SELECT n.seal_seq
      FROM new_seals n
     WHERE n.chain_hash IS DISTINCT FROM encode(sha256(convert_to(
             coalesce((SELECT p.chain_hash FROM audit_seal p WHERE p.seal_seq = n.seal_seq - 1),
                      CASE WHEN n.seal_seq = 1 THEN repeat('0', 64) END)
             || E'\n' || n.entry_hash, 'UTF8')), 'hex')
        OR (SELECT l.hash FROM audit_log l WHERE l.seq = n.audit_seq) IS DISTINCT FROM n.entry_hash
     ORDER BY n.seal_seq
     LIMIT 1$q$ INTO bad;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'audit_seal: seal % does not extend the chain or does not match its audit row', bad
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The rows chained at insert are sealed in their seq order, which was their chain order.
WITH RECURSIVE chain (seq, chain_hash) AS (
  SELECT 0::bigint, repeat('0', 64)
  UNION ALL
  SELECT l.seq, encode(sha256(convert_to(c.chain_hash || E'\n' || l.hash, 'UTF8')), 'hex')
    FROM chain c JOIN audit_log l ON l.seq = c.seq + 1
)
INSERT INTO audit_seal (seal_seq, audit_seq, entry_hash, chain_hash)
SELECT c.seq, c.seq, l.hash, c.chain_hash FROM chain c JOIN audit_log l ON l.seq = c.seq ORDER BY c.seq;

CREATE TRIGGER audit_seal_extend AFTER INSERT ON audit_seal REFERENCING NEW TABLE AS new_seals
  FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_extend();
CREATE TRIGGER audit_seal_no_update BEFORE UPDATE ON audit_seal FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_seal_no_delete BEFORE DELETE ON audit_seal FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_seal FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_seal FROM PUBLIC;
