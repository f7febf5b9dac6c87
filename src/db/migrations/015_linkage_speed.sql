-- Up Migration

-- Linking speed (issue 6). Each record keeps the blocking keys it is indexed
-- under, so that re-indexing it deletes its old keys through the key index;
-- the index on person_block (system, source_ref), which only that delete
-- used and which every key of every record paid for, goes. The key index
-- holds the record too, so a block is read from the index alone, and
-- compares keys bytewise: they are codes, never sorted for people.
ALTER TABLE person_record ADD COLUMN block_keys text[] NOT NULL DEFAULT '{}';
UPDATE person_record p SET block_keys = b.keys
  FROM (SELECT system, source_ref, array_agg(key ORDER BY key) AS keys FROM person_block GROUP BY system, source_ref) b
 WHERE b.system = p.system AND b.source_ref = p.source_ref;

DROP INDEX person_block_key;
DROP INDEX person_block_record;
ALTER TABLE person_block ALTER COLUMN key TYPE text COLLATE "C";
CREATE INDEX person_block_key ON person_block (key, system, source_ref);
