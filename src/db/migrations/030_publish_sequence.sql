-- Up Migration

-- An event's sequence was the outbox id, a counter of every change the hub
-- records: the gaps between a subscriber's events told it how many changes,
-- and when, concerned people it may not see. Each subscription now numbers
-- the events it is sent, one after another (docs/publishing.md). A delivery
-- keeps its number, so a dead letter sent again carries it unchanged.
ALTER TABLE publish_subscription ADD COLUMN last_sequence bigint NOT NULL DEFAULT 0;
ALTER TABLE publish_delivery ADD COLUMN sequence bigint;

-- Deliveries made before keep the number their bodies carry; each
-- subscription goes on from the highest it has sent, so a receiver's order holds.
UPDATE publish_delivery SET sequence = outbox_id;
ALTER TABLE publish_delivery ALTER COLUMN sequence SET NOT NULL;
UPDATE publish_subscription s SET last_sequence = d.last
  FROM (SELECT subscription_id, max(sequence) AS last FROM publish_delivery GROUP BY subscription_id) d
 WHERE d.subscription_id = s.id;

-- Down Migration
ALTER TABLE publish_delivery DROP COLUMN sequence;
ALTER TABLE publish_subscription DROP COLUMN last_sequence;
