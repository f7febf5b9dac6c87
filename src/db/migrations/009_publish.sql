-- Up Migration

-- Publishing (ARCHITECTURE.md, data flow 7): changes to citizen accounts go
-- to an outbox in the transaction that makes them; the pipeline turns each
-- into one delivery per subscription, filtered by the policy as reads are.

-- One change to one account. `tx` makes the same change of the same account
-- in one transaction one row, however many records a batch moves.
CREATE TABLE citizen_outbox (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  citizen_id     bigint NOT NULL REFERENCES citizen (id),
  event_type     text NOT NULL CHECK (event_type IN ('citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split')),
  -- citizen.merged: the account merged into this one; citizen.split: the account a record left for.
  other_citizen  bigint REFERENCES citizen (id),
  tx             xid8 NOT NULL DEFAULT pg_current_xact_id(),
  changed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Set once the change has been turned into deliveries (or found to have no subscriber).
  published_at   timestamptz
);
CREATE UNIQUE INDEX citizen_outbox_once ON citizen_outbox (tx, citizen_id, event_type, coalesce(other_citizen, 0));
CREATE INDEX citizen_outbox_pending ON citizen_outbox (id) WHERE published_at IS NULL;
CREATE INDEX citizen_outbox_citizen ON citizen_outbox (citizen_id);

-- A webhook subscriber: an API client of an organisation, whose role and
-- stated purpose the policy decides every event with. The secret signs the
-- deliveries, so it is kept as given (unlike API keys, which are hashed).
CREATE TABLE publish_subscription (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id       bigint NOT NULL REFERENCES organisation (id),
  client_id    bigint NOT NULL REFERENCES api_client (id),
  purpose      text NOT NULL,
  url          text NOT NULL,
  secret       text NOT NULL,
  event_types  text[] NOT NULL CHECK (cardinality(event_types) > 0
               AND event_types <@ ARRAY['citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split']),
  description  text,
  active       boolean NOT NULL DEFAULT true,
  created_by   bigint REFERENCES api_client (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX publish_subscription_active ON publish_subscription (id) WHERE active;

-- One event for one subscriber. Its id is the event id receivers dedupe on;
-- the body is fixed when the policy decided, so every retry sends the same
-- bytes, and it is dropped once delivered (the audit trail keeps what was disclosed).
CREATE TABLE publish_delivery (
  id               uuid PRIMARY KEY,
  outbox_id        bigint NOT NULL REFERENCES citizen_outbox (id),
  subscription_id  bigint NOT NULL REFERENCES publish_subscription (id),
  citizen_ref      text NOT NULL,
  event_type       text NOT NULL,
  -- The request id of the event.publish audit entries written for it.
  audit_request_id text NOT NULL,
  body             text,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  UNIQUE (outbox_id, subscription_id)
);
CREATE INDEX publish_delivery_subscription ON publish_delivery (subscription_id, status);

-- Down Migration
DROP TABLE publish_delivery;
DROP TABLE publish_subscription;
DROP TABLE citizen_outbox;
