-- Up Migration

-- What the stored blocking keys (person_block, person_record.block_keys) were
-- made with: the blocking rules' version and names and the nickname table
-- (a key may hold a nickname root's initial). When the hub opens linkage
-- with rules or a table that give another fingerprint, it makes every
-- record's keys again first (src/linkage/block-keys.ts); otherwise a new
-- record's keys would never meet the old ones. No row: keys made before
-- this table existed, remade once.
CREATE TABLE person_block_keying (
  one          boolean PRIMARY KEY DEFAULT true CHECK (one),
  fingerprint  text NOT NULL,
  keyed_at     timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE person_block_keying;
