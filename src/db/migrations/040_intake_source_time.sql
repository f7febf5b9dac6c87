-- Up Migration

-- Every intake's source time ("as of"): when the source made the file (`hub
-- ingest SYSTEM FILE --extracted-at TIME`, any file now, not only a full
-- extract), or, without it, and for a push or a withdrawal, when the intake
-- started (its receipt). Versions without an update time of their own are
-- ordered by their intake's source time (src/intake/store.ts), so every
-- intake has one: those taken before are given their start, and the column
-- is required, read as it is by every query (no coalesce to forget).
UPDATE intake SET extracted_at = started_at WHERE extracted_at IS NULL;
ALTER TABLE intake ALTER COLUMN extracted_at SET DEFAULT now(), ALTER COLUMN extracted_at SET NOT NULL;

-- Down Migration
ALTER TABLE intake ALTER COLUMN extracted_at DROP NOT NULL, ALTER COLUMN extracted_at DROP DEFAULT;
UPDATE intake SET extracted_at = NULL WHERE NOT full_extract;
