-- Up Migration

-- A merge withdraws the merged account's open reviews (src/linkage/accounts.ts).
-- Without this index that was a scan of every open review: 9 ms a merge at a
-- million records with 200,000 reviews open.
CREATE INDEX person_review_open_citizen ON person_review (citizen_id) WHERE status = 'open';

-- Down Migration

DROP INDEX person_review_open_citizen;
