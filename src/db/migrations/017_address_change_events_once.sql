-- Migration 016 announced every address match of a linked record, so a new
-- version of a record was announced twice: by its match, then by linking it
-- (which announces any changed record). Now a match announces only for the
-- version linkage has indexed (person_record.source_record_id): a re-match,
-- a steward's decision, or a record linked before it was matched. A version
-- not linked yet is left to its link step.
CREATE OR REPLACE FUNCTION address_match_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.uprn IS NOT DISTINCT FROM NEW.uprn THEN
    RETURN NULL;
  END IF;
  INSERT INTO citizen_outbox (citizen_id, event_type)
  SELECT l.citizen_id, 'citizen.updated'
    FROM source_record s
    JOIN person_record p ON p.system = s.system AND p.source_ref = s.source_ref AND p.source_record_id = s.id
    JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL
   WHERE s.id = NEW.source_record_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
