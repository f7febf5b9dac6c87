-- Up Migration

-- A DPO's review of a break-glass entry (review_required): once, never
-- changed. The review is itself an audit entry (action audit.review), chained
-- like every other; this table finds the entries still waiting. Named audit_*
-- so that the application role may only read and add to it (src/db/roles.ts).
-- No foreign key to audit_log: it would make TRUNCATE of the trail fail on the
-- key rather than on its append-only trigger, and the review checks the entry.
CREATE TABLE audit_review (
  seq          bigint PRIMARY KEY,
  reviewed_at  timestamptz NOT NULL DEFAULT now(),
  client_id    bigint NOT NULL REFERENCES api_client (id),
  outcome      text NOT NULL CHECK (outcome IN ('justified', 'not-justified')),
  note         text NOT NULL
);
CREATE TRIGGER audit_review_no_update BEFORE UPDATE ON audit_review FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_review_no_delete BEFORE DELETE ON audit_review FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_review_no_truncate BEFORE TRUNCATE ON audit_review FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
-- The break-glass entries, for the queue of those waiting for review.
CREATE INDEX audit_log_review_required ON audit_log (seq) WHERE review_required;

-- Down Migration
DROP INDEX audit_log_review_required;
DROP TABLE audit_review;
