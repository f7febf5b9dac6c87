-- Up Migration

-- A gazetteer import stopped before it finished (Ctrl-C, SIGTERM, a killed
-- process) is 'interrupted': the import marks itself so on its way out, and
-- the next import marks any row still 'running' so, as it holds the import
-- lock that a running import would hold (src/gazetteer/import.ts).
ALTER TABLE gazetteer_import DROP CONSTRAINT gazetteer_import_status_check;
ALTER TABLE gazetteer_import ADD CONSTRAINT gazetteer_import_status_check CHECK (status IN ('running', 'applied', 'failed', 'interrupted'));

-- Down Migration
UPDATE gazetteer_import SET status = 'failed' WHERE status = 'interrupted';
ALTER TABLE gazetteer_import DROP CONSTRAINT gazetteer_import_status_check;
ALTER TABLE gazetteer_import ADD CONSTRAINT gazetteer_import_status_check CHECK (status IN ('running', 'applied', 'failed'));
