-- Up Migration

-- Taken by every transaction that holds the linkage lock, right after the
-- lock is granted (src/linkage/context.ts). A bulk run that keeps the
-- linkage state in memory between its batches (src/linkage/link-state.ts)
-- knows from it whether anyone else linked, indexed or decided in between:
-- its next batch gets exactly one more than its last one only if not.
CREATE SEQUENCE linkage_generation;

-- Down Migration

DROP SEQUENCE linkage_generation;
