-- Up Migration

-- A person review item is a question about two records as they were when it
-- was made (their weights, what the steward is shown). It records the
-- versions compared (source_record ids), so that a new version of either
-- withdraws it (linkage_settle_reviews, below) and a decision on it is
-- refused (src/linkage/decisions.ts) rather than applied to other content.
ALTER TABLE person_review ADD COLUMN record_version bigint, ADD COLUMN candidate_version bigint;

-- Open items made before the version now indexed of either record are stale already.
UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the record has changed since'
  FROM person_record p JOIN source_record s ON s.id = p.source_record_id
 WHERE r.status = 'open' AND p.system = r.system AND p.source_ref = r.source_ref AND s.received_at > r.created_at;
UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the candidate record has changed since'
  FROM person_record p JOIN source_record s ON s.id = p.source_record_id
 WHERE r.status = 'open' AND p.system = r.candidate_system AND p.source_ref = r.candidate_ref AND s.received_at > r.created_at;
UPDATE person_review r
   SET record_version = (SELECT p.source_record_id FROM person_record p WHERE p.system = r.system AND p.source_ref = r.source_ref),
       candidate_version = (SELECT p.source_record_id FROM person_record p WHERE p.system = r.candidate_system AND p.source_ref = r.candidate_ref)
 WHERE r.status = 'open';

CREATE INDEX person_review_open_candidate ON person_review (candidate_system, candidate_ref) WHERE status = 'open';

-- As in migration 043, and besides: the open items of any account the
-- transaction changed whose record or candidate record is now indexed at
-- another version than the item compared (a record that changed stays in
-- its account and announces citizen.updated; one that moved, its new
-- account). The linking that indexed the new version refreshed the items it
-- still has a question about, with the new versions.
CREATE OR REPLACE FUNCTION linkage_settle_reviews() RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
  AS $$
  DECLARE
    together integer;
    changed_record integer;
    changed_candidate integer;
  BEGIN
    WITH changed AS (SELECT DISTINCT citizen_id FROM citizen_outbox
                      WHERE tx = pg_current_xact_id() AND event_type IN ('citizen.updated', 'citizen.merged')),
    settled AS (
      UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'both records are now in one account'
        FROM changed ch, citizen_link rl, citizen_link cl
       WHERE rl.citizen_id = ch.citizen_id AND rl.ended_at IS NULL
         AND r.status = 'open' AND r.system = rl.system AND r.source_ref = rl.source_ref
         AND cl.system = r.candidate_system AND cl.source_ref = r.candidate_ref AND cl.ended_at IS NULL AND cl.citizen_id = rl.citizen_id
      RETURNING 1)
    SELECT count(*)::integer INTO together FROM settled;

    WITH changed AS (SELECT DISTINCT citizen_id FROM citizen_outbox WHERE tx = pg_current_xact_id()),
    settled AS (
      UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the record has changed since'
        FROM changed ch, citizen_link l, person_record p
       WHERE l.citizen_id = ch.citizen_id AND l.ended_at IS NULL
         AND p.system = l.system AND p.source_ref = l.source_ref
         AND r.status = 'open' AND r.system = l.system AND r.source_ref = l.source_ref
         AND r.record_version IS DISTINCT FROM p.source_record_id
      RETURNING 1)
    SELECT count(*)::integer INTO changed_record FROM settled;

    WITH changed AS (SELECT DISTINCT citizen_id FROM citizen_outbox WHERE tx = pg_current_xact_id()),
    settled AS (
      UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'the candidate record has changed since'
        FROM changed ch, citizen_link l, person_record p
       WHERE l.citizen_id = ch.citizen_id AND l.ended_at IS NULL
         AND p.system = l.system AND p.source_ref = l.source_ref
         AND r.status = 'open' AND r.candidate_system = l.system AND r.candidate_ref = l.source_ref
         AND r.candidate_version IS DISTINCT FROM p.source_record_id
      RETURNING 1)
    SELECT count(*)::integer INTO changed_candidate FROM settled;

    RETURN together + changed_record + changed_candidate;
  END
  $$;

-- Down Migration
CREATE OR REPLACE FUNCTION linkage_settle_reviews() RETURNS integer
  LANGUAGE sql VOLATILE
  SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
  AS $$
    WITH changed AS (SELECT DISTINCT citizen_id FROM citizen_outbox
                      WHERE tx = pg_current_xact_id() AND event_type IN ('citizen.updated', 'citizen.merged')),
    settled AS (
      UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'both records are now in one account'
        FROM changed ch, citizen_link rl, citizen_link cl
       WHERE rl.citizen_id = ch.citizen_id AND rl.ended_at IS NULL
         AND r.status = 'open' AND r.system = rl.system AND r.source_ref = rl.source_ref
         AND cl.system = r.candidate_system AND cl.source_ref = r.candidate_ref AND cl.ended_at IS NULL AND cl.citizen_id = rl.citizen_id
      RETURNING 1)
    SELECT count(*)::integer FROM settled
  $$;
DROP INDEX person_review_open_candidate;
ALTER TABLE person_review DROP COLUMN record_version, DROP COLUMN candidate_version;
