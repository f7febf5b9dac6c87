-- Up Migration

-- The open review items a linkage transaction answered (its two records now
-- in one account: src/linkage/review.ts, settleReviews), found from the
-- accounts the transaction changed. Only one that gained a record or an
-- account (updated, merged) can hold two records. The work is a few index
-- probes per changed account, but the planner, misled by statistics that a
-- large run outpaces, hashed every current link or open review instead
-- (20 to 50 ms a batch of 1,000, growing with the run): within this function
-- it may only probe.
CREATE FUNCTION linkage_settle_reviews() RETURNS integer
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

-- Down Migration
DROP FUNCTION linkage_settle_reviews();
