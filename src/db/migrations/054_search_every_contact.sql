-- Up Migration

-- Citizen search by phone (the call pop-up) and by email looked at the one
-- phone and one email person linkage compares, the first valid of each, so
-- a citizen was not found by their second number though their view lists
-- it. A record's features now also hold every valid phone and email of the
-- record (`phones`, `emails`; src/linkage/features.ts), and the search looks
-- in those, through GIN indexes.
--
-- The records indexed before get them here, from the stored record's
-- contacts as personFeatures takes them: a contact's value is normalised at
-- intake (E.164 phone; email with its domain lower-cased), so the features
-- are its valid values, without repeats, in the record's order; emails
-- lower-cased, which is the same in SQL as in JavaScript because a valid
-- email is ASCII (lower-cased under "C", which folds only ASCII, whatever the
-- database's locale).
DROP INDEX person_record_phone;
DROP INDEX person_record_email;

UPDATE person_record p
   SET features = p.features || jsonb_build_object('phones', k.phones, 'emails', k.emails)
  FROM source_record s
 CROSS JOIN LATERAL (
   SELECT coalesce(jsonb_agg(c.value ORDER BY c.i) FILTER (WHERE c.kind = 'phone'), '[]') AS phones,
          coalesce(jsonb_agg(c.value ORDER BY c.i) FILTER (WHERE c.kind = 'email'), '[]') AS emails
     FROM (SELECT DISTINCT ON (kind, value) kind, value, i
             FROM (SELECT x.c->>'kind' AS kind, x.i,
                          CASE x.c->>'kind' WHEN 'email' THEN lower((x.c->>'value') COLLATE "C") ELSE x.c->>'value' END AS value
                     FROM jsonb_array_elements(s.record->'contacts') WITH ORDINALITY AS x(c, i)
                    WHERE x.c->>'kind' IN ('phone', 'email') AND x.c->'valid' = 'true'::jsonb) v
            ORDER BY kind, value, i) c
 ) k
 WHERE s.id = p.source_record_id;

CREATE INDEX person_record_phones ON person_record USING gin ((features->'phones') jsonb_path_ops);
CREATE INDEX person_record_emails ON person_record USING gin ((features->'emails') jsonb_path_ops);

-- Down Migration
DROP INDEX person_record_phones;
DROP INDEX person_record_emails;
UPDATE person_record SET features = features - 'phones' - 'emails';
CREATE INDEX person_record_phone ON person_record ((features->>'phone')) WHERE (features->>'phone') IS NOT NULL;
CREATE INDEX person_record_email ON person_record ((lower(features->>'email'))) WHERE (features->>'email') IS NOT NULL;
