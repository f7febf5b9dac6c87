-- Up Migration

-- A first start's demo load, so that one stopped half way (Ctrl-C during the
-- minute it takes) is finished by the next start instead of being taken for
-- a loaded database because its gazetteer is there (src/demo.ts).
CREATE TABLE demo_load (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- Down Migration
DROP TABLE demo_load;
