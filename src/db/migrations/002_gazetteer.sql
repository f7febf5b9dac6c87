-- Up Migration

-- The loaded gazetteer lives in its own schema. A FULL import builds a copy of
-- these tables in schema gazetteer_next (CREATE TABLE ... LIKE, indexes after
-- the load) and swaps the schemas in one transaction, so these definitions are
-- the only place the gazetteer's tables are described.
CREATE SCHEMA gazetteer;

CREATE TABLE gazetteer.street (
  usrn        bigint PRIMARY KEY,
  record_type smallint,
  state       smallint,
  start_date  date,
  end_date    date,
  start_x     double precision,
  start_y     double precision,
  end_x       double precision,
  end_y       double precision
);

CREATE TABLE gazetteer.street_descriptor (
  usrn                bigint NOT NULL,
  language            text NOT NULL,
  description         text NOT NULL,
  locality            text,
  town                text,
  administrative_area text,
  PRIMARY KEY (usrn, language)
);

CREATE TABLE gazetteer.blpu (
  uprn                 bigint PRIMARY KEY,
  logical_status       smallint NOT NULL,
  state                smallint,
  parent_uprn          bigint,
  x                    double precision,
  y                    double precision,
  latitude             double precision,
  longitude            double precision,
  rpc                  smallint,
  local_custodian_code integer,
  start_date           date,
  end_date             date,
  postcode_locator     text,
  blpu_class           text
);
CREATE INDEX blpu_parent ON gazetteer.blpu (parent_uprn) WHERE parent_uprn IS NOT NULL;

CREATE TABLE gazetteer.lpi (
  lpi_key          text PRIMARY KEY,
  uprn             bigint NOT NULL,
  language         text NOT NULL,
  logical_status   smallint NOT NULL,
  start_date       date,
  end_date         date,
  sao_start_number integer,
  sao_start_suffix text,
  sao_end_number   integer,
  sao_end_suffix   text,
  sao_text         text,
  pao_start_number integer,
  pao_start_suffix text,
  pao_end_number   integer,
  pao_end_suffix   text,
  pao_text         text,
  usrn             bigint NOT NULL,
  level            text,
  official_flag    text,
  postcode         text,
  post_town        text
);
CREATE INDEX lpi_uprn ON gazetteer.lpi (uprn);
CREATE INDEX lpi_usrn ON gazetteer.lpi (usrn);

CREATE TABLE gazetteer.cross_reference (
  xref_key        text PRIMARY KEY,
  uprn            bigint NOT NULL,
  cross_reference text NOT NULL,
  source          text NOT NULL,
  start_date      date,
  end_date        date
);
CREATE INDEX cross_reference_uprn ON gazetteer.cross_reference (uprn);
CREATE INDEX cross_reference_ref ON gazetteer.cross_reference (cross_reference);

CREATE TABLE gazetteer.classification (
  class_key  text PRIMARY KEY,
  uprn       bigint NOT NULL,
  code       text NOT NULL,
  scheme     text,
  start_date date,
  end_date   date
);
CREATE INDEX classification_uprn ON gazetteer.classification (uprn);

CREATE TABLE gazetteer.organisation (
  org_key      text PRIMARY KEY,
  uprn         bigint NOT NULL,
  organisation text NOT NULL,
  legal_name   text,
  start_date   date,
  end_date     date
);
CREATE INDEX organisation_uprn ON gazetteer.organisation (uprn);

CREATE TABLE gazetteer.successor (
  succ_key   text PRIMARY KEY,
  uprn       bigint NOT NULL,
  successor  bigint NOT NULL,
  start_date date,
  end_date   date
);
CREATE INDEX successor_uprn ON gazetteer.successor (uprn);

CREATE TABLE gazetteer.delivery_point (
  udprn              bigint PRIMARY KEY,
  uprn               bigint NOT NULL,
  organisation_name  text,
  sub_building_name  text,
  building_name      text,
  building_number    integer,
  thoroughfare       text,
  dependent_locality text,
  post_town          text,
  postcode           text NOT NULL
);
CREATE INDEX delivery_point_uprn ON gazetteer.delivery_point (uprn);

-- The derived address index: one row per approved, alternative, provisional
-- and historic LPI of a BLPU that exists, with what the matcher and the
-- type-ahead compare. Rebuilt whole by a FULL import and per UPRN by a
-- change-only import (src/gazetteer/index.sql).
CREATE TABLE gazetteer.address_index (
  lpi_key          text PRIMARY KEY,
  uprn             bigint NOT NULL,
  logical_status   smallint NOT NULL,
  blpu_status      smallint NOT NULL,
  parent_uprn      bigint,
  sao_start_number integer,
  sao_start_suffix text,
  sao_end_number   integer,
  sao_end_suffix   text,
  sao_text         text,
  pao_start_number integer,
  pao_start_suffix text,
  pao_end_number   integer,
  pao_end_suffix   text,
  pao_text         text,
  usrn             bigint NOT NULL,
  street           text NOT NULL,
  locality         text,
  town             text,
  postcode         text,
  organisation     text,
  classification   text,
  -- derived
  postcode_key     text,  -- postcode without the space, for exact lookups
  sector           text,  -- e.g. 'AB1 2'
  search_text      text NOT NULL,
  search_vector    tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
  current          boolean GENERATED ALWAYS AS (logical_status = 1 AND blpu_status = 1) STORED
);
CREATE INDEX address_index_uprn ON gazetteer.address_index (uprn);
CREATE INDEX address_index_postcode ON gazetteer.address_index (postcode_key, pao_start_number);
CREATE INDEX address_index_sector ON gazetteer.address_index (sector);
CREATE INDEX address_index_street ON gazetteer.address_index USING gin (street gin_trgm_ops);
CREATE INDEX address_index_search ON gazetteer.address_index USING gin (search_vector);
CREATE INDEX address_index_search_trgm ON gazetteer.address_index USING gin (search_text gin_trgm_ops);

-- One row per import, FULL or change-only, for operators and for re-matching.
CREATE TABLE gazetteer_import (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_names    text[] NOT NULL,
  format        text NOT NULL,
  file_type     text NOT NULL CHECK (file_type IN ('FULL', 'COU')),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'applied', 'failed')),
  counts        jsonb NOT NULL DEFAULT '{}',
  rejects       jsonb NOT NULL DEFAULT '[]',
  error         text
);

-- UPRNs a change-only import touched; address matching re-examines source
-- records matched to them (following successors for retired ones).
CREATE TABLE gazetteer_touched (
  import_id   bigint NOT NULL REFERENCES gazetteer_import (id),
  uprn        bigint NOT NULL,
  change      text NOT NULL CHECK (change IN ('inserted', 'updated', 'deleted', 'retired')),
  successor   bigint,
  rematched_at timestamptz,
  PRIMARY KEY (import_id, uprn)
);
CREATE INDEX gazetteer_touched_pending ON gazetteer_touched (import_id) WHERE rematched_at IS NULL;
