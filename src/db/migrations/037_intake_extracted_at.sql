-- Up Migration

-- When the source made a full extract (`hub ingest --full --extracted-at`;
-- the intake's start when not given). Records received since are not the
-- file's to close, and a full extract made before one already taken closes
-- nothing (src/intake/close-absent.ts). Set for every full extract, null for
-- other intakes; full extracts taken before this column are given their start.
-- (intake.closed also counts, from now on, the records a source system
-- withdrew: DELETE /v1/sources/{system}/records/{ref}, src/intake/withdraw.ts.)
ALTER TABLE intake ADD COLUMN extracted_at timestamptz;
UPDATE intake SET extracted_at = started_at WHERE full_extract;

-- The full extracts of a system already taken, for the latest made.
CREATE INDEX intake_full_extract_made ON intake (system, extracted_at) WHERE full_extract AND status = 'done';

-- Down Migration
DROP INDEX intake_full_extract_made;
ALTER TABLE intake DROP COLUMN extracted_at;
