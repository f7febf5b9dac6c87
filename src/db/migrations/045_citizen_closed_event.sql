-- Up Migration

-- citizen.closed: an account emptied of its records and kept, closed, for its
-- register records (migration 041) is announced to subscribers, who would
-- otherwise keep showing it. Subscriptions that took every event type take
-- this one too; those that chose some keep their choice.
ALTER TABLE citizen_outbox DROP CONSTRAINT citizen_outbox_event_type_check;
ALTER TABLE citizen_outbox ADD CONSTRAINT citizen_outbox_event_type_check
  CHECK (event_type IN ('citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split', 'citizen.closed'));
ALTER TABLE publish_subscription DROP CONSTRAINT publish_subscription_event_types_check;
ALTER TABLE publish_subscription ADD CONSTRAINT publish_subscription_event_types_check CHECK (cardinality(event_types) > 0
  AND event_types <@ ARRAY['citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split', 'citizen.closed']);
UPDATE publish_subscription SET event_types = event_types || 'citizen.closed'::text
 WHERE event_types @> ARRAY['citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split'];

-- Down Migration
DELETE FROM citizen_outbox WHERE event_type = 'citizen.closed';
-- A subscription to citizen.closed alone is stopped: it has no event type to fall back on.
UPDATE publish_subscription SET active = false, event_types = '{citizen.updated}' WHERE event_types = '{citizen.closed}';
UPDATE publish_subscription SET event_types = array_remove(event_types, 'citizen.closed');
ALTER TABLE publish_subscription DROP CONSTRAINT publish_subscription_event_types_check;
ALTER TABLE publish_subscription ADD CONSTRAINT publish_subscription_event_types_check CHECK (cardinality(event_types) > 0
  AND event_types <@ ARRAY['citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split']);
ALTER TABLE citizen_outbox DROP CONSTRAINT citizen_outbox_event_type_check;
ALTER TABLE citizen_outbox ADD CONSTRAINT citizen_outbox_event_type_check
  CHECK (event_type IN ('citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split'));
