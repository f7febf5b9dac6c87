-- Up Migration

-- A reject gave only its position (file and line, or request and index),
-- never the record's reference in its source, even when that could be read:
-- a source system could not find the record to fix. And a rejected row is
-- kept whole (raw), names and dates of birth included, so it is personal
-- data the hub holds, which a subject access export must include: it can be
-- told to be someone's only by that reference (a party's, with its "-1",
-- "-2" suffix). NULL when none could be read (an unreadable row, a missing
-- reference or column) and for every reject stored before this migration.
ALTER TABLE source_reject ADD COLUMN source_ref text;
CREATE INDEX source_reject_source_ref ON source_reject (system, source_ref) WHERE source_ref IS NOT NULL;

-- Down Migration
DROP INDEX source_reject_source_ref;
ALTER TABLE source_reject DROP COLUMN source_ref;
