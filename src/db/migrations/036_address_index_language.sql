-- Up Migration

-- The LPI's language (ENG, CYM, ...) on each address index row: a Welsh
-- council's properties have an English and a Welsh address under one UPRN,
-- and the address answers could not tell them apart. Filled here from the
-- LPIs already loaded; imports fill it from then on (src/gazetteer/sql.ts).
ALTER TABLE gazetteer.address_index ADD COLUMN language text;
UPDATE gazetteer.address_index a SET language = l.language FROM gazetteer.lpi l WHERE l.lpi_key = a.lpi_key;
ALTER TABLE gazetteer.address_index ALTER COLUMN language SET NOT NULL;

-- Down Migration
ALTER TABLE gazetteer.address_index DROP COLUMN language;
