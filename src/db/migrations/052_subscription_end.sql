-- Up Migration

-- Ending a subscription (DELETE) is final; pausing it (active = false) is
-- not. Before, both only set active = false, so an ended one could be resumed.
ALTER TABLE publish_subscription ADD COLUMN ended_at timestamptz;
ALTER TABLE publish_subscription ADD CONSTRAINT publish_subscription_ended_inactive CHECK (ended_at IS NULL OR NOT active);

-- Down Migration
ALTER TABLE publish_subscription DROP CONSTRAINT publish_subscription_ended_inactive;
ALTER TABLE publish_subscription DROP COLUMN ended_at;
