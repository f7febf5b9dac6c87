-- Up Migration

-- Citizen accounts. The reference is issued by the hub from a sequence (never
-- reused) with a Damm check digit; a merged account keeps
-- its row and points at the survivor, so its reference still resolves.
CREATE SEQUENCE citizen_ref_seq;

CREATE TABLE citizen (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ref          text NOT NULL UNIQUE CHECK (ref ~ '^C[0-9]{10}$'),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
  merged_into  bigint REFERENCES citizen (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  merged_at    timestamptz,
  CHECK ((status = 'merged') = (merged_into IS NOT NULL))
);
CREATE INDEX citizen_merged_into ON citizen (merged_into) WHERE merged_into IS NOT NULL;

-- Which citizen each source record belongs to. A link is ended, never
-- deleted, so the history of every account stays readable.
CREATE TABLE citizen_link (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  citizen_id  bigint NOT NULL REFERENCES citizen (id),
  system      text NOT NULL,
  source_ref  text NOT NULL,
  linked_by   text NOT NULL CHECK (linked_by IN ('model', 'steward', 'identifier')),
  weight      real,
  linked_at   timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz,
  ended_why   text
);
CREATE UNIQUE INDEX citizen_link_current ON citizen_link (system, source_ref) WHERE ended_at IS NULL;
CREATE INDEX citizen_link_citizen ON citizen_link (citizen_id) WHERE ended_at IS NULL;
CREATE INDEX citizen_link_history ON citizen_link (citizen_id, linked_at);

-- Everything that happened to an account: who (a client, or the model when
-- null) and why.
CREATE TABLE citizen_event (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  citizen_id     bigint NOT NULL REFERENCES citizen (id),
  kind           text NOT NULL CHECK (kind IN ('create', 'link', 'unlink', 'merge', 'split')),
  other_citizen  bigint REFERENCES citizen (id),
  system         text,
  source_ref     text,
  client_id      bigint REFERENCES api_client (id),
  reason         text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizen_event_citizen ON citizen_event (citizen_id, id);

-- Stewards' decisions. They are applied before the model on every run and
-- are never touched by re-linking or re-training; a later decision on the
-- same question revokes the earlier one.
--   link:     the record belongs to the citizen
--   unlink:   the record does not belong to the citizen
--   distinct: the record is not the same person as the citizen, or as another record
CREATE TABLE link_decision (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('link', 'unlink', 'distinct')),
  system            text NOT NULL,
  source_ref        text NOT NULL,
  citizen_id        bigint REFERENCES citizen (id),
  other_system      text,
  other_source_ref  text,
  decided_by        bigint REFERENCES api_client (id),
  reason            text NOT NULL,
  decided_at        timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  CHECK (citizen_id IS NOT NULL OR (kind = 'distinct' AND other_system IS NOT NULL AND other_source_ref IS NOT NULL))
);
CREATE INDEX link_decision_record ON link_decision (system, source_ref) WHERE revoked_at IS NULL;
CREATE INDEX link_decision_other ON link_decision (other_system, other_source_ref) WHERE revoked_at IS NULL;
CREATE INDEX link_decision_citizen ON link_decision (citizen_id) WHERE revoked_at IS NULL;

-- Trained person models, versioned; one is active.
CREATE TABLE person_model (
  version     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model       jsonb NOT NULL,
  seed        integer NOT NULL,
  records     integer NOT NULL,
  trained_at  timestamptz NOT NULL DEFAULT now(),
  active      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX person_model_active ON person_model (active) WHERE active;

-- The linkage features of each current source record (the library's
-- PersonRecord), kept so that candidates are compared without re-reading
-- and re-mapping their source records.
CREATE TABLE person_record (
  system            text NOT NULL,
  source_ref        text NOT NULL,
  source_record_id  bigint NOT NULL REFERENCES source_record (id),
  features          jsonb NOT NULL,
  PRIMARY KEY (system, source_ref)
);
-- Household: the citizens with a record at a UPRN.
CREATE INDEX person_record_uprn ON person_record (((features->>'uprn')::bigint));

-- Blocking keys of each current source record: candidates of a new record
-- are the records sharing any key, found through the index.
CREATE TABLE person_block (
  key         text NOT NULL,
  system      text NOT NULL,
  source_ref  text NOT NULL
);
CREATE INDEX person_block_key ON person_block (key);
CREATE INDEX person_block_record ON person_block (system, source_ref);

-- Pairs the model was unsure of: the record, the candidate citizen and its
-- closest record, the per-field weights and what the model would decide.
CREATE TABLE person_review (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system             text NOT NULL,
  source_ref         text NOT NULL,
  citizen_id         bigint NOT NULL REFERENCES citizen (id),
  candidate_system   text NOT NULL,
  candidate_ref      text NOT NULL,
  weight             real NOT NULL,
  fields             jsonb NOT NULL,
  model_decision     text NOT NULL CHECK (model_decision IN ('link', 'review', 'distinct')),
  reason             text NOT NULL,
  model_version      integer REFERENCES person_model (version),
  status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided', 'withdrawn')),
  decision           text CHECK (decision IN ('link', 'distinct')),
  decided_by         bigint REFERENCES api_client (id),
  decided_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX person_review_open ON person_review (system, source_ref, citizen_id) WHERE status = 'open';
CREATE INDEX person_review_queue ON person_review (status, id);
