-- Up Migration

-- A file taken in as a full extract holds every open record of its system:
-- records it lacks were closed in the source, and the intake closes them
-- (a closing version, raw_format 'absent-from-full-extract'), unless it was
-- refused (rejects in the file, or more closed than the limit allows), when
-- closing_refused says why.
ALTER TABLE intake
  ADD COLUMN full_extract boolean NOT NULL DEFAULT false,
  ADD COLUMN closed integer NOT NULL DEFAULT 0,
  ADD COLUMN closing_refused text;

-- Down Migration
ALTER TABLE intake DROP COLUMN full_extract, DROP COLUMN closed, DROP COLUMN closing_refused;
