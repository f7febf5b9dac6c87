-- Up Migration

-- A change whose publishing fails on its own (its citizen's view or decision
-- throws) is set aside, to be tried again later, instead of failing every
-- batch it is taken into: that held up every other change for every
-- subscriber. The error kept names no person (an error class and code).
ALTER TABLE citizen_outbox ADD COLUMN failures integer NOT NULL DEFAULT 0;
ALTER TABLE citizen_outbox ADD COLUMN retry_after timestamptz;
ALTER TABLE citizen_outbox ADD COLUMN last_error text;

-- Down Migration
ALTER TABLE citizen_outbox DROP COLUMN last_error;
ALTER TABLE citizen_outbox DROP COLUMN retry_after;
ALTER TABLE citizen_outbox DROP COLUMN failures;
