-- Up Migration

-- Where each imported file sits in the council's run of supplies: its
-- header's PROCESS_DATE and VOLUME_NUMBER. Without them a change-only file
-- applied twice, or an older one after a newer, was applied again and rolled
-- the gazetteer back without a word (src/gazetteer/supply.ts).
CREATE TABLE gazetteer_import_file (
  import_id     bigint NOT NULL REFERENCES gazetteer_import (id),
  file_name     text NOT NULL,
  file_type     text NOT NULL CHECK (file_type IN ('FULL', 'COU')),
  process_date  date,
  volume_number integer
);
CREATE INDEX gazetteer_import_file_import ON gazetteer_import_file (import_id);

-- Down Migration
DROP TABLE gazetteer_import_file;
