-- Up Migration

-- Type-ahead at national scale (issue 3), continued. A typed word is a
-- prefix ("ma" for MANOR, MARKET, ...); as a GIN prefix query ('ma':*) it
-- makes the index union the posting lists of every word it begins before
-- anything is intersected, which at 500,000 addresses is most of a slow
-- answer. So the search index holds, besides the words, each word's first
-- one to four characters followed by a dot ('m.', 'ma.', 'man.', 'mano.'),
-- a term no word can be (words are [a-z0-9]+): a typed prefix of up to four
-- characters is then one exact term, and GIN intersects exact terms by
-- skipping through the longer posting lists. src/gazetteer/lookup.ts builds
-- its queries on this.
--
-- An expression index, not a stored column: the rows the index finds are
-- filtered and ranked on search_vector (the words alone), and a heap twice
-- as wide made every fetched row dearer. Exact terms need no recheck, so the
-- function runs only when a row is written.
--
-- In the public schema: a FULL import drops the old gazetteer schema, and
-- with it anything there that the new tables' index uses. PL/pgSQL: a loop
-- of simple expressions costs a third of a SQL function's subquery per row.
CREATE FUNCTION gazetteer_search_terms(search_text text) RETURNS tsvector
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  words text[] := string_to_array(lower(search_text), ' ');
  terms text[] := words;
  word text;
BEGIN
  FOREACH word IN ARRAY words LOOP
    -- A word shorter than four characters repeats a term; array_to_tsvector drops repeats.
    terms := terms || ARRAY[left(word, 1) || '.', left(word, 2) || '.', left(word, 3) || '.', left(word, 4) || '.'];
  END LOOP;
  RETURN array_to_tsvector(terms);
END
$$;

DROP INDEX gazetteer.address_index_search;
CREATE INDEX address_index_search ON gazetteer.address_index USING gin (gazetteer_search_terms(search_text));
