-- Up Migration

-- An intake whose process went away before it finished (killed, crashed, lost
-- its database connection) is 'interrupted': the ingesting session holds an
-- advisory lock on the intake for as long as it runs (src/intake/ingest.ts),
-- so a 'running' intake without that lock has no owner any more.
ALTER TABLE intake DROP CONSTRAINT intake_status_check;
ALTER TABLE intake ADD CONSTRAINT intake_status_check CHECK (status IN ('running', 'done', 'failed', 'interrupted'));
CREATE INDEX intake_running ON intake (id) WHERE status = 'running';
