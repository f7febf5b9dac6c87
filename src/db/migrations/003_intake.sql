-- Up Migration

-- One file ingested or one pushed request. read = accepted + unchanged + rejected, always.
CREATE TABLE intake (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system       text NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('file', 'push')),
  file_name    text,
  request_id   text,
  client_id    bigint REFERENCES api_client (id),
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  read         integer NOT NULL DEFAULT 0,
  accepted     integer NOT NULL DEFAULT 0,
  unchanged    integer NOT NULL DEFAULT 0,
  superseded   integer NOT NULL DEFAULT 0,
  rejected     integer NOT NULL DEFAULT 0,
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX intake_system ON intake (system, id);

-- Every version of every source record: the canonical record, the raw payload
-- exactly as received, and where it came from. One current version per
-- (system, source_ref); older ones stay as history.
CREATE TABLE source_record (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  system            text NOT NULL,
  source_ref        text NOT NULL,
  version           integer NOT NULL,
  current           boolean NOT NULL,
  content_hash      bytea NOT NULL,
  record            jsonb NOT NULL,
  raw               text NOT NULL,
  raw_format        text NOT NULL,
  intake_id         bigint NOT NULL REFERENCES intake (id),
  position          jsonb NOT NULL,
  received_at       timestamptz NOT NULL DEFAULT now(),
  source_updated_at timestamptz,
  closed            boolean NOT NULL DEFAULT false,
  UNIQUE (system, source_ref, version)
);
CREATE UNIQUE INDEX source_record_current ON source_record (system, source_ref) WHERE current;
CREATE INDEX source_record_hash ON source_record (system, source_ref, content_hash);

-- Records that could not be parsed or mapped, with the reason and position; nothing is dropped silently.
CREATE TABLE source_reject (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  intake_id   bigint NOT NULL REFERENCES intake (id),
  system      text NOT NULL,
  position    jsonb NOT NULL,
  field       text,
  rule        text,
  reason      text NOT NULL,
  raw         text,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX source_reject_system ON source_reject (system, id);
CREATE INDEX source_reject_intake ON source_reject (intake_id, id);
