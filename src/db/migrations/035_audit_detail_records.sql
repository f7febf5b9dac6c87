-- Up Migration

-- A steward's work on a source record that no account holds yet (an address
-- review item) is audited about no citizen: its entry names the record in
-- detail.records ({system, sourceRef}). "Entries naming any of these
-- records" lets the DPO's citizen filter and subject access find them once
-- the record is the person's. Partial: a read's entry has no detail, so the
-- reads' inserts never touch it.
CREATE INDEX audit_log_detail_records ON audit_log USING gin ((detail -> 'records') jsonb_path_ops) WHERE detail IS NOT NULL;

-- Down Migration
DROP INDEX audit_log_detail_records;
