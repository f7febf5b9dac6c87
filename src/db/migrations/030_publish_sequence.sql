-- Up Migration

-- An event's sequence was the outbox id, a counter of every change the hub
-- records: the gaps between a subscriber's events told it how many changes,
-- and when, concerned people it may not see. Each subscription now numbers
-- the events it is sent, one after another (docs/publishing.md). A delivery
-- keeps its number, so a dead letter sent again carries it unchanged.
ALTER TABLE publish_subscription ADD COLUMN last_sequence bigint NOT NULL DEFAULT 0;
ALTER TABLE publish_delivery ADD COLUMN sequence bigint;

-- Deliveries made before keep the number their bodies carry. Each existing
-- subscription goes on above every outbox id ever issued (deliveries and
-- outbox rows older than 30 days are pruned, so their own maximum may be
-- gone), so a receiver ordering by sequence puts new events after old ones.
UPDATE publish_delivery SET sequence = outbox_id;
ALTER TABLE publish_delivery ALTER COLUMN sequence SET NOT NULL;
UPDATE publish_subscription
   SET last_sequence = coalesce(pg_sequence_last_value(pg_get_serial_sequence('citizen_outbox', 'id')::regclass), 0);

-- Down Migration
ALTER TABLE publish_delivery DROP COLUMN sequence;
ALTER TABLE publish_subscription DROP COLUMN last_sequence;
