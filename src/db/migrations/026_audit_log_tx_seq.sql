-- Up Migration

-- A seal pass takes the entries after the last sealed one in (tx, seq) order
-- (src/audit/store.ts, UNSEALED). On (tx) alone it read every entry of the
-- last sealed transaction again on every pass, however many; on (tx, seq)
-- the pass starts right after the head and stops at its batch.
CREATE INDEX audit_log_tx_seq ON audit_log (tx, seq);
DROP INDEX audit_log_tx;
