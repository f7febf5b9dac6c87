-- Up Migration

-- The surname search keys of migration 042 differed from person linkage's
-- normaliseSurname on ß (linkage: SS) and on combining marks outside
-- U+0300-036F (linkage drops every mark): the function now folds as
-- foldName does, and the index over it is built again.
CREATE OR REPLACE FUNCTION citizen_surname_keys(surname text) RETURNS text[]
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
  -- Marks go before upper case, as in foldName (upper would turn U+0345 into a Greek letter), and from every block of
  -- combining marks a Latin letter can carry; ß is SS, as JavaScript upper-cases it.
  s := replace(upper(regexp_replace(normalize(s, NFKD), '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g')), 'ß', 'SS');
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

REINDEX INDEX person_record_surname_keys;

-- Down Migration
CREATE OR REPLACE FUNCTION citizen_surname_keys(surname text) RETURNS text[]
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

REINDEX INDEX person_record_surname_keys;
