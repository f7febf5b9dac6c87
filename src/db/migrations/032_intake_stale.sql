-- Up Migration

-- Versions an intake stored as history only, being older than the current
-- version by the source's own update time (or without one when the current
-- version has one): counted among the accepted, as superseded ones are, so
-- that an out-of-order extract is seen for what it is.
ALTER TABLE intake ADD COLUMN stale integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE intake DROP COLUMN stale;
