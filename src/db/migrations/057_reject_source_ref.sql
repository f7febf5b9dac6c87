-- Up Migration

-- A reject gave only its position (file and line, or request and index),
-- never the record's reference in its source, even when that could be read:
-- a source system could not find the record to fix. Rejects taken in before
-- have none (their raw text is kept, and may hold it).
ALTER TABLE source_reject ADD COLUMN source_ref text;

-- Down Migration
ALTER TABLE source_reject DROP COLUMN source_ref;
