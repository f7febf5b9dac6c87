-- Up Migration

-- The type-ahead's words are folded as the address matcher folds address text
-- (matching/address/normalise.ts, foldAddress and searchWords): accents
-- dropped (LÔN is LON: a Welsh descriptor was split into L and N, so "lon"
-- found nothing while "lôn" found "l n"), apostrophes dropped (JOHN'S is
-- JOHNS, not JOHN S) and & read as AND. The API folds the typed words with
-- searchWords; a test runs both over every Latin letter and mark. Marks go
-- before upper case and ß is SS, as in citizen_surname_keys (migration 044).
-- In the public schema, as gazetteer_search_terms: a FULL import drops the
-- gazetteer schema.
CREATE FUNCTION gazetteer_fold(line text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN btrim(regexp_replace(regexp_replace(
    replace(replace(upper(regexp_replace(normalize(line, NFKD), '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g')), 'ß', 'SS'), '&', ' AND '),
    '[''’‘`]', '', 'g'), '[^A-Z0-9]+', ' ', 'g'));

-- search_text gains the postcode without its space ("zz12bb" finds ZZ1 2BB).
-- The rows loaded already are written again as src/gazetteer/sql.ts
-- (searchText) writes new ones; the search index is built once afterwards
-- rather than updated row by row.
DROP INDEX gazetteer.address_index_search;
UPDATE gazetteer.address_index
   SET search_text = concat_ws(' ',
         CASE WHEN line ~ '[^A-Z0-9 ]|  ' THEN gazetteer_fold(line) ELSE btrim(line) END,
         CASE WHEN postcode ~ '[^A-Z0-9]' THEN nullif(regexp_replace(upper(postcode), '[^A-Z0-9]+', '', 'g'), '') END)
  FROM (SELECT lpi_key AS key, concat_ws(' ', organisation, sao_text,
               NULLIF(concat(sao_start_number, sao_start_suffix,
                 CASE WHEN sao_end_number IS NOT NULL OR sao_end_suffix IS NOT NULL THEN '-' || concat(sao_end_number, sao_end_suffix) END), ''),
               pao_text,
               NULLIF(concat(pao_start_number, pao_start_suffix,
                 CASE WHEN pao_end_number IS NOT NULL OR pao_end_suffix IS NOT NULL THEN '-' || concat(pao_end_number, pao_end_suffix) END), ''),
               street, locality, town, postcode) AS line
          FROM gazetteer.address_index) l
 WHERE lpi_key = l.key;
CREATE INDEX address_index_search ON gazetteer.address_index USING gin (gazetteer_search_terms(search_text));

-- The words misspellings are corrected to, folded alike.
TRUNCATE gazetteer.address_word;
INSERT INTO gazetteer.address_word (word)
SELECT DISTINCT w
  FROM (SELECT DISTINCT organisation, sao_text, pao_text, street, locality, town FROM gazetteer.address_index) d,
       regexp_split_to_table(lower(gazetteer_fold(concat_ws(' ', organisation, sao_text, pao_text, street, locality, town))), ' ') AS w
 WHERE length(w) >= 3 AND w ~ '[a-z]';

-- Down Migration
DROP INDEX gazetteer.address_index_search;
UPDATE gazetteer.address_index
   SET search_text = CASE WHEN line ~ '[^A-Z0-9 ]|  ' THEN btrim(regexp_replace(line, '[^A-Z0-9]+', ' ', 'g')) ELSE btrim(line) END
  FROM (SELECT lpi_key AS key, upper(concat_ws(' ', organisation, sao_text,
               NULLIF(concat(sao_start_number, sao_start_suffix,
                 CASE WHEN sao_end_number IS NOT NULL OR sao_end_suffix IS NOT NULL THEN '-' || concat(sao_end_number, sao_end_suffix) END), ''),
               pao_text,
               NULLIF(concat(pao_start_number, pao_start_suffix,
                 CASE WHEN pao_end_number IS NOT NULL OR pao_end_suffix IS NOT NULL THEN '-' || concat(pao_end_number, pao_end_suffix) END), ''),
               street, locality, town, postcode)) AS line
          FROM gazetteer.address_index) l
 WHERE lpi_key = l.key;
CREATE INDEX address_index_search ON gazetteer.address_index USING gin (gazetteer_search_terms(search_text));
TRUNCATE gazetteer.address_word;
INSERT INTO gazetteer.address_word (word)
SELECT DISTINCT w
  FROM (SELECT DISTINCT organisation, sao_text, pao_text, street, locality, town FROM gazetteer.address_index) d,
       regexp_split_to_table(lower(concat_ws(' ', organisation, sao_text, pao_text, street, locality, town)), '[^a-z0-9]+') AS w
 WHERE length(w) >= 3 AND w ~ '[a-z]';
DROP FUNCTION gazetteer_fold(text);
