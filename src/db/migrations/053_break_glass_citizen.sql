-- Up Migration

-- A break-glass grant opens one citizen for one client: the reference the
-- decision was made for (a merged reference's survivor). A grant opened by a
-- search or an occupants list, each of which must give its own reason, has no
-- citizen and is never used again. Grants made before this column keep it
-- NULL, so they open nothing more: the next emergency read needs a reason.
ALTER TABLE break_glass_grant ADD COLUMN citizen_ref text;
CREATE INDEX break_glass_grant_client_citizen ON break_glass_grant (client_id, citizen_ref, expires_at) WHERE citizen_ref IS NOT NULL;

-- Down Migration
DROP INDEX break_glass_grant_client_citizen;
ALTER TABLE break_glass_grant DROP COLUMN citizen_ref;
