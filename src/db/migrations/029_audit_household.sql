-- Up Migration

-- A citizen view may name the other people of the household (reference and
-- name). An entry of such a read records the members it named
-- (householdRefs, src/policy/audit-record.ts), so that a member's subject
-- access and the DPO's citizen filter show who was told their name and why.
-- Null when the view named nobody, as for every entry written before: the
-- key is then absent from the entry, whose hash is as it was. No trigger or
-- check changes: audit_log stays append-only (006, 013) and the check that
-- each of fields and reasons is kept once (027) does not concern this column.
ALTER TABLE audit_log ADD COLUMN household_refs jsonb;

-- "Entries naming any of these references" (household_refs ?| refs). Partial:
-- entries naming no member add nothing to it. Without the pending list
-- (fastupdate off): each read's insert adds its one or two keys to the tree at
-- once, instead of a read now and then paying to merge megabytes of pending
-- entries inside its own transaction.
CREATE INDEX audit_log_household ON audit_log USING gin (household_refs) WITH (fastupdate = off) WHERE household_refs IS NOT NULL;
