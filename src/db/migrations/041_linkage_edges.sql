-- Up Migration

-- An account emptied of its records while it holds consents, objections or
-- restrictions, and whose records went to more than one person, is closed
-- instead of merged: merging would put its register records on a person who
-- may not have given them (src/linkage/accounts.ts, settleEmptied). A closed
-- account keeps its reference and register records, is in no search,
-- household or publication, and is active again when a steward links a
-- record to it.
ALTER TABLE citizen DROP CONSTRAINT citizen_status_check;
ALTER TABLE citizen ADD CONSTRAINT citizen_status_check CHECK (status IN ('active', 'merged', 'closed'));
ALTER TABLE citizen ADD COLUMN closed_at timestamptz;
ALTER TABLE citizen_event DROP CONSTRAINT citizen_event_kind_check;
ALTER TABLE citizen_event ADD CONSTRAINT citizen_event_kind_check CHECK (kind IN ('create', 'link', 'unlink', 'merge', 'split', 'close'));

-- Why and when an open review item was withdrawn without a steward's
-- decision: its candidate account was merged or closed, or its two records
-- came to be in one account (src/linkage/review.ts, settleReviews).
ALTER TABLE person_review ADD COLUMN withdrawn_at timestamptz, ADD COLUMN withdrawn_why text;
UPDATE person_review SET withdrawn_why = 'the candidate account was merged' WHERE status = 'withdrawn';
UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'both records are now in one account'
  FROM citizen_link rl, citizen_link cl
 WHERE r.status = 'open' AND rl.system = r.system AND rl.source_ref = r.source_ref AND rl.ended_at IS NULL
   AND cl.system = r.candidate_system AND cl.source_ref = r.candidate_ref AND cl.ended_at IS NULL AND cl.citizen_id = rl.citizen_id;

-- Down Migration
ALTER TABLE person_review DROP COLUMN withdrawn_why, DROP COLUMN withdrawn_at;
UPDATE citizen_event SET kind = 'unlink' WHERE kind = 'close';
ALTER TABLE citizen_event DROP CONSTRAINT citizen_event_kind_check;
ALTER TABLE citizen_event ADD CONSTRAINT citizen_event_kind_check CHECK (kind IN ('create', 'link', 'unlink', 'merge', 'split'));
UPDATE citizen SET status = 'active' WHERE status = 'closed';
ALTER TABLE citizen DROP COLUMN closed_at;
ALTER TABLE citizen DROP CONSTRAINT citizen_status_check;
ALTER TABLE citizen ADD CONSTRAINT citizen_status_check CHECK (status IN ('active', 'merged'));
