-- Up Migration

-- Citizen search by surname finds a surname however it is written, as person
-- linkage compares it (matching/person/normalise.ts, normaliseSurname):
-- OCONNOR and O’CONNOR find O'CONNOR, BURTONHALL finds BURTON-HALL, and a
-- part alone (BURTON, HALL, CRUZ of DE LA CRUZ) finds the double-barrelled
-- name. A record's keys are its surname joined into one token and each of its
-- parts (particles left out), the joined form first; a search looks up the
-- joined form of what was typed. The function and normaliseSurname must
-- agree: a test runs both over the same names
-- (test/integration/linkage/search-indexes.test.ts).
CREATE FUNCTION citizen_surname_keys(surname text) RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  s text;
  tokens text[];
  words text[] := '{}';
  parts text[];
  n int;
  i int := 1;
BEGIN
  -- M'DONALD is MACDONALD: before apostrophes go, as the normaliser does.
  s := regexp_replace(surname, '(^|[\s-])M[''’‘]\s*(?=[[:alpha:]])', '\1MAC', 'g');
  s := regexp_replace(upper(normalize(s, NFKD)), '[\u0300-\u036f]', '', 'g');
  s := regexp_replace(s, '[''’‘`.]', '', 'g');
  s := regexp_replace(s, '[^A-Z[:space:]-]', ' ', 'g');
  tokens := array_remove(regexp_split_to_array(btrim(regexp_replace(s, '\s+', ' ', 'g')), '[\s-]+'), '');
  n := cardinality(tokens);
  IF n > 1 AND tokens[n] IN ('JNR', 'JR', 'JUN', 'JUNIOR', 'SNR', 'SR', 'SEN', 'SENIOR', 'II', 'III', 'IV') THEN
    tokens := tokens[1:n - 1];
  END IF;
  WHILE cardinality(tokens) > 1 AND tokens[1] IN ('MR', 'MRS', 'MISS', 'MS', 'MX', 'DR', 'PROF', 'PROFESSOR', 'REV', 'REVD', 'REVEREND', 'FR',
      'FATHER', 'SIR', 'DAME', 'LADY', 'LORD', 'MASTER', 'CAPT', 'CAPTAIN', 'MAJOR', 'COL', 'CLLR', 'RABBI', 'IMAM', 'SISTER', 'BROTHER', 'HON') LOOP
    tokens := tokens[2:];
  END LOOP;
  n := coalesce(cardinality(tokens), 0);
  WHILE i <= n LOOP
    IF tokens[i] IN ('MC', 'MAC', 'M') AND i < n THEN
      words := words || ('MAC' || tokens[i + 1]);
      i := i + 2;
    ELSE
      words := words || regexp_replace(tokens[i], '^MC(?=[A-Z]{2})', 'MAC');
      i := i + 1;
    END IF;
  END LOOP;
  IF cardinality(words) = 0 THEN
    RETURN '{}';
  END IF;
  parts := ARRAY(SELECT w FROM unnest(words) AS w
                  WHERE w NOT IN ('DE', 'DA', 'DI', 'DU', 'DEL', 'DELLA', 'LA', 'LE', 'VAN', 'VON', 'DER', 'DEN', 'TER', 'TEN', 'BIN', 'BINTI', 'AL', 'EL', 'ST'));
  IF cardinality(parts) = 0 THEN
    parts := words;
  END IF;
  -- The joined form first: a search looks up the joined form of what was typed.
  RETURN array_prepend(array_to_string(words, ''), ARRAY(SELECT DISTINCT w FROM unnest(parts) AS w WHERE w <> array_to_string(words, '') ORDER BY w));
END $$;

DROP INDEX person_record_surname_key;
CREATE INDEX person_record_surname_keys ON person_record USING gin (citizen_surname_keys(features->>'surname'));
DROP FUNCTION citizen_surname_key(text);

-- Down Migration
CREATE FUNCTION citizen_surname_key(surname text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN regexp_replace(upper(btrim(surname)), '\s+(JNR|JR|JUN|JUNIOR|SNR|SR|SEN|SENIOR|II|III|IV)\.?$', '');
DROP INDEX person_record_surname_keys;
CREATE INDEX person_record_surname_key ON person_record (citizen_surname_key(features->>'surname'));
DROP FUNCTION citizen_surname_keys(text);
