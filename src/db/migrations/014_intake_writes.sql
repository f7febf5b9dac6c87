-- Up Migration

-- No query looks source records up by content hash: the intake reads every
-- version of a batch's source refs through (system, source_ref, version) and
-- compares hashes in the process. The index only cost each stored version an
-- index entry of about 80 bytes and its WAL.
DROP INDEX IF EXISTS source_record_hash;
