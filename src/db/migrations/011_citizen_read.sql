-- Up Migration

-- Citizen search by surname (issue 7). A record's surname feature carries
-- its generation suffix ("SMITH JNR"), so an exact match on the surname
-- missed it when searching "SMITH". The key is the surname without a
-- trailing generation suffix; the generation, normalised as person linkage
-- normalises it (matching/person/normalise.ts), narrows a search that
-- gives one ("SMITH JR" finds SMITH JNR, not SMITH SNR).
CREATE FUNCTION citizen_surname_key(surname text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN regexp_replace(upper(btrim(surname)), '\s+(JNR|JR|JUN|JUNIOR|SNR|SR|SEN|SENIOR|II|III|IV)\.?$', '');

CREATE FUNCTION citizen_surname_generation(surname text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN regexp_replace(regexp_replace(
    substring(upper(btrim(surname)) FROM '\s(JNR|JR|JUN|JUNIOR|SNR|SR|SEN|SENIOR|II|III|IV)\.?$'),
    '^(JR|JUN|JUNIOR)$', 'JNR'), '^(SR|SEN|SENIOR)$', 'SNR');

DROP INDEX person_record_surname;
CREATE INDEX person_record_surname_key ON person_record (citizen_surname_key(features->>'surname'));
