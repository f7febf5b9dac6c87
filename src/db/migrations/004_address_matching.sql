-- Up Migration

-- The address match of each source record version (its first residential
-- address), with the explanation a steward or DPO can read.
CREATE TABLE address_match (
  source_record_id bigint PRIMARY KEY REFERENCES source_record (id),
  input_key        text NOT NULL,
  uprn             bigint,
  status           text NOT NULL CHECK (status IN ('matched', 'review', 'unmatched')),
  score            real NOT NULL,
  evidence         text NOT NULL,
  explanation      jsonb NOT NULL,
  decided_by       text NOT NULL DEFAULT 'matcher' CHECK (decided_by IN ('matcher', 'steward')),
  matched_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX address_match_uprn ON address_match (uprn);
CREATE INDEX address_match_input ON address_match (input_key);

-- A steward's decision for one normalised input, reused whenever the same input comes again.
CREATE TABLE address_decision (
  input_key   text PRIMARY KEY,
  uprn        bigint,
  decided_by  bigint REFERENCES api_client (id),
  decided_at  timestamptz NOT NULL DEFAULT now()
);

-- Uncertain matches waiting for a steward: one open item per normalised input.
CREATE TABLE address_review (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  input_key    text NOT NULL,
  text         text NOT NULL,
  postcode     text,
  result       jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
  occurrences  integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  decided_at   timestamptz,
  decided_by   bigint REFERENCES api_client (id),
  decision_uprn bigint
);
CREATE UNIQUE INDEX address_review_open ON address_review (input_key) WHERE status = 'open';
CREATE INDEX address_review_queue ON address_review (status, id);
