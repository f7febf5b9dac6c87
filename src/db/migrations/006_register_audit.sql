-- Up Migration

-- The data protection register. Agreements are versioned: a change writes
-- version n+1 and the old versions stay, so an audit entry naming (id,
-- version) always points at the text that was in force.
CREATE TABLE sharing_agreement (
  id                text NOT NULL,
  version           integer NOT NULL CHECK (version >= 1),
  current           boolean NOT NULL,
  title             text NOT NULL,
  provider_org_id   bigint NOT NULL REFERENCES organisation (id),
  recipient_org_ids bigint[] NOT NULL CHECK (cardinality(recipient_org_ids) >= 1),
  roles             text[],
  purposes          text[] NOT NULL CHECK (cardinality(purposes) >= 1),
  categories        text[] NOT NULL CHECK (cardinality(categories) >= 1),
  lawful_basis      text NOT NULL
                    CHECK (lawful_basis IN ('consent', 'contract', 'legal-obligation', 'vital-interests', 'public-task', 'legitimate-interests')),
  art9_condition    jsonb,
  legal_gateway     text NOT NULL,
  dpia_reference    text,
  start_date        date NOT NULL,
  end_date          date,
  review_date       date,
  status            text NOT NULL CHECK (status IN ('draft', 'active', 'suspended', 'ended')),
  changed_by        bigint REFERENCES api_client (id),
  changed_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX sharing_agreement_current ON sharing_agreement (id) WHERE current;
CREATE INDEX sharing_agreement_recipients ON sharing_agreement USING gin (recipient_org_ids) WHERE current;

CREATE SEQUENCE register_ref_seq;

CREATE TABLE consent (
  id               text PRIMARY KEY DEFAULT ('CON-' || lpad(nextval('register_ref_seq')::text, 7, '0')),
  citizen_ref      text NOT NULL,
  purpose          text NOT NULL,
  recipient_org_id bigint REFERENCES organisation (id),
  valid_from       timestamptz NOT NULL,
  valid_to         timestamptz,
  channel          text NOT NULL,
  evidence         text NOT NULL,
  withdrawn_at     timestamptz,
  recorded_by      bigint REFERENCES api_client (id),
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_citizen ON consent (citizen_ref);

CREATE TABLE objection (
  id               text PRIMARY KEY DEFAULT ('OBJ-' || lpad(nextval('register_ref_seq')::text, 7, '0')),
  citizen_ref      text NOT NULL,
  purpose          text,
  recipient_org_id bigint REFERENCES organisation (id),
  valid_from       timestamptz NOT NULL,
  withdrawn_at     timestamptz,
  recorded_by      bigint REFERENCES api_client (id),
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objection_citizen ON objection (citizen_ref);

CREATE TABLE restriction (
  id           text PRIMARY KEY DEFAULT ('RES-' || lpad(nextval('register_ref_seq')::text, 7, '0')),
  citizen_ref  text NOT NULL,
  valid_from   timestamptz NOT NULL,
  valid_to     timestamptz,
  reason       text NOT NULL,
  lifted_at    timestamptz,
  recorded_by  bigint REFERENCES api_client (id),
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX restriction_citizen ON restriction (citizen_ref);

-- A break-glass grant: one client, one written reason, a limited time. Reads
-- under it are flagged for review in the audit trail.
CREATE TABLE break_glass_grant (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id   bigint NOT NULL REFERENCES api_client (id),
  reason      text NOT NULL,
  granted_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX break_glass_grant_client ON break_glass_grant (client_id, expires_at);

-- The audit trail: append-only and hash-chained (src/audit/chain.ts). Every
-- column below except seq, prev_hash and hash is covered by the hash.
CREATE TABLE audit_log (
  seq                  bigint PRIMARY KEY,
  prev_hash            text NOT NULL,
  hash                 text NOT NULL UNIQUE,
  at                   timestamptz NOT NULL,
  request_id           text NOT NULL,
  action               text NOT NULL,
  client_id            bigint NOT NULL,
  org_id               bigint NOT NULL,
  role                 text NOT NULL,
  purpose              text NOT NULL,
  citizen_ref          text,
  agreements           jsonb NOT NULL,
  consent_ids          jsonb NOT NULL,
  categories_disclosed jsonb NOT NULL,
  categories_denied    jsonb NOT NULL,
  fields_disclosed     jsonb NOT NULL,
  decision             text NOT NULL,
  reasons              jsonb NOT NULL,
  policy_version       text NOT NULL,
  break_glass_reason   text,
  review_required      boolean NOT NULL,
  -- What a register change changed; null for disclosures.
  detail               jsonb
);
CREATE INDEX audit_log_citizen ON audit_log (citizen_ref, seq);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);
CREATE INDEX audit_log_client ON audit_log (client_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- The chain head: one row, locked by every append, so that concurrent
-- writers take turns and can never both extend the same entry (a fork).
CREATE TABLE audit_head (
  one   boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));

-- Inserts must extend the head; the check runs in the database so that no
-- writer, however written, can fork or renumber the chain.
CREATE FUNCTION audit_log_extend() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head audit_head%ROWTYPE;
BEGIN
  SELECT * INTO head FROM audit_head FOR UPDATE;
  IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
    RAISE EXCEPTION 'audit_log: entry % does not extend the chain head %', NEW.seq, head.seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash;
  RETURN NEW;
END $$;

-- Triggers fire for every role, the table owner and superusers included.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_extend BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_extend();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
-- The head moves only through the insert trigger.
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON audit_head FROM PUBLIC;
