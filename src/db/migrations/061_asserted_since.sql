-- Up Migration

-- Since when each version's source has asserted each of its values (addresses,
-- contacts, names): a map from the value's key to an ISO time, or null for the
-- version's own time. Survivorship ranks values by it, so that a system
-- re-sending an old address with another change does not make it current
-- again (src/intake/asserted-since.ts writes it with every version).
ALTER TABLE source_record ADD COLUMN asserted_since jsonb;

-- The keys of a record's values, as valueKeys in src/intake/asserted-since.ts
-- makes them (test/integration/linkage/asserted-since.test.ts holds them equal).
CREATE FUNCTION source_record_value_keys(record jsonb) RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'a:' || (x->>'kind') || chr(31)
         || array_to_string(ARRAY(SELECT l FROM jsonb_array_elements_text(x->'lines') WITH ORDINALITY AS t (l, i) ORDER BY i), chr(31))
         || chr(31) || coalesce(x->>'postcode', '')
    FROM jsonb_array_elements(record->'addresses') x
  UNION
  SELECT 'c:' || (c->>'kind') || chr(31) || (c->>'value') FROM jsonb_array_elements(record->'contacts') c
  UNION
  SELECT 'n:' || array_to_string(ARRAY(SELECT f FROM jsonb_array_elements_text(n->'forenames') WITH ORDINALITY AS t (f, i) ORDER BY i), ' ')
         || chr(31) || (n->>'surname') || chr(31) || coalesce(n->>'suffix', '')
    FROM jsonb_array_elements(record->'names') n
$$;

-- Current versions stored before: each value asserted since the first version
-- of the run of versions up to the current one that all hold it (stale
-- versions, kept as history and never current, count as part of the run: which
-- versions were current when is not kept). The earlier versions are history
-- and not read, so they stay null.
UPDATE source_record c SET asserted_since = (
  SELECT coalesce(jsonb_object_agg(k.key, (
      SELECT CASE WHEN f.version = c.version THEN NULL
                  ELSE to_jsonb(to_char(coalesce(f.source_updated_at, f.received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END
        FROM source_record f
       WHERE f.system = c.system AND f.source_ref = c.source_ref AND f.version <= c.version
         AND f.version > coalesce((SELECT max(h.version) FROM source_record h
                                    WHERE h.system = c.system AND h.source_ref = c.source_ref AND h.version < c.version
                                      AND k.key NOT IN (SELECT source_record_value_keys(h.record))), 0)
       ORDER BY f.version LIMIT 1)), '{}')
    FROM source_record_value_keys(c.record) AS k (key))
 WHERE c.current;

-- Down Migration
DROP FUNCTION source_record_value_keys(jsonb);
ALTER TABLE source_record DROP COLUMN asserted_since;
