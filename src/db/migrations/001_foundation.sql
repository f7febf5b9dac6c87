-- Up Migration
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE TABLE organisation (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  kind        text NOT NULL DEFAULT 'council-service'
              CHECK (kind IN ('council-service', 'police', 'nhs', 'school', 'other')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- An API credential. Only a hash of the secret is kept; the key is shown once.
CREATE TABLE api_client (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_id      text NOT NULL UNIQUE,
  secret_hash bytea NOT NULL,
  org_id      bigint NOT NULL REFERENCES organisation (id),
  role        text NOT NULL
              CHECK (role IN ('admin', 'dpo', 'steward', 'adviser', 'caseworker', 'partner', 'source-system')),
  -- Source systems a 'source-system' client may push records for.
  systems     text[] NOT NULL DEFAULT '{}',
  label       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_client_org_idx ON api_client (org_id);

-- Down Migration
DROP TABLE api_client;
DROP TABLE organisation;
