-- A linked record's address matched to another UPRN changes its citizen's
-- view (address, household), so subscribers are told, as for any other
-- change: a gazetteer change re-matched, a steward's review decision, a
-- record matched again. A trigger, because these writes come from several
-- places (pipeline step, `hub match-addresses`, review decisions), and the
-- outbox row must commit with the match in every one of them. A record not
-- linked yet announces nothing: linking it will.
CREATE FUNCTION address_match_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.uprn IS NOT DISTINCT FROM NEW.uprn THEN
    RETURN NULL;
  END IF;
  INSERT INTO citizen_outbox (citizen_id, event_type)
  SELECT l.citizen_id, 'citizen.updated'
    FROM source_record s
    JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL
   WHERE s.id = NEW.source_record_id AND s.current
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER address_match_announce AFTER INSERT OR UPDATE OF uprn ON address_match
  FOR EACH ROW EXECUTE FUNCTION address_match_announce();
