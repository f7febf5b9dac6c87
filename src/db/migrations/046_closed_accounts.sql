-- Up Migration

-- Closed accounts (migration 041) listed for stewards and DPOs, by reference.
CREATE INDEX citizen_closed ON citizen (ref) WHERE status = 'closed';

-- Down Migration
DROP INDEX citizen_closed;
