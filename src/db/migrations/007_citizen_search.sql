-- Up Migration

-- Citizen search and call pop-up look records up by these features of
-- person_record; each criterion is one index scan.
CREATE INDEX person_record_surname ON person_record ((upper(features->>'surname')));
CREATE INDEX person_record_dob ON person_record ((features->>'dob'));
CREATE INDEX person_record_postcode ON person_record ((replace(upper(features->>'postcode'), ' ', '')));
CREATE INDEX person_record_phone ON person_record ((features->>'phone'));
CREATE INDEX person_record_email ON person_record ((lower(features->>'email')));
CREATE INDEX person_record_nhs ON person_record ((features->>'nhsNumber'));
CREATE INDEX person_record_nino ON person_record ((features->>'nino'));

