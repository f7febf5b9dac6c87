-- Up Migration

-- Type-ahead at national scale (issue 3). A FULL import copies these
-- definitions into gazetteer_next, so every index here is built once per
-- import: only indexes a query uses are kept.

-- No query filters on the sector or searches the street alone.
DROP INDEX gazetteer.address_index_sector;
DROP INDEX gazetteer.address_index_street;
-- Trigram search over whole address lines read most of the index for a
-- misspelling; the fuzzy fallback now corrects words via address_word.
DROP INDEX gazetteer.address_index_search_trgm;

-- `postcode_key LIKE 'AB12%'` can only use a pattern-ops index under the
-- database's C.UTF-8 collation.
DROP INDEX gazetteer.address_index_postcode;
CREATE INDEX address_index_postcode ON gazetteer.address_index (postcode_key text_pattern_ops);

-- The street page lists one street's addresses.
CREATE INDEX address_index_usrn ON gazetteer.address_index (usrn);

-- The words of address names (organisation, SAO/PAO text, street,
-- locality, town) in lower case, as to_tsvector('simple') has them: a
-- misspelt query word is replaced by its nearest words here before the
-- address index is searched again. Only words with a letter and three or
-- more characters: numbers and postcodes are never corrected.
CREATE TABLE gazetteer.address_word (
  word text PRIMARY KEY
);
CREATE INDEX address_word_trgm ON gazetteer.address_word USING gin (word gin_trgm_ops);

INSERT INTO gazetteer.address_word (word)
SELECT DISTINCT w
  FROM (SELECT DISTINCT organisation, sao_text, pao_text, street, locality, town FROM gazetteer.address_index) d,
       regexp_split_to_table(lower(concat_ws(' ', organisation, sao_text, pao_text, street, locality, town)), '[^a-z0-9]+') AS w
 WHERE length(w) >= 3 AND w ~ '[a-z]';

-- search_text is upper-case words between single spaces, so its tsvector is
-- those words in lower case: built directly it costs a third of
-- to_tsvector's parse, and no query needs word positions.
ALTER TABLE gazetteer.address_index ALTER COLUMN search_vector
  SET EXPRESSION AS (array_to_tsvector(string_to_array(lower(search_text), ' ')));
