/**
 * The gazetteer's SQL in one place. Statements that work on either the live
 * schema or the one a FULL import is building take the schema name, which is
 * only ever one of the two constants below (identifiers cannot be parameters).
 */
export const LIVE = 'gazetteer';
export const NEXT = 'gazetteer_next';
export type GazetteerSchema = typeof LIVE | typeof NEXT;
/** Where a change-only import stages its records before applying them (src/gazetteer/apply-changes.ts). */
export const CHANGES = 'gazetteer_changes';

/** The data tables in load order, and the derived tables last. */
export const DATA_TABLES = ['street', 'street_descriptor', 'blpu', 'lpi', 'cross_reference', 'classification', 'organisation', 'successor', 'delivery_point'] as const;
export const DERIVED_TABLES = ['address_index', 'address_word'] as const;
export const ALL_TABLES = [...DATA_TABLES, ...DERIVED_TABLES] as const;

export const createNextSchema = () => [
  `DROP SCHEMA IF EXISTS ${NEXT} CASCADE`,
  `CREATE SCHEMA ${NEXT}`,
  // Columns, defaults and generated columns only; keys and indexes come after the load (faster COPY).
  ...ALL_TABLES.map((t) => `CREATE TABLE ${NEXT}.${t} (LIKE ${LIVE}.${t} INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)`),
];

/** What a staged change carries before its record's columns: its place in the command's files and its change type. */
export const CHANGE_COLUMNS = ['seq', 'file', 'line', 'change', 'withdrawn', 'derived'] as const;

/**
 * One scratch table per data table: its columns without a key (one key may
 * change several times in a supply), after the change's own columns,
 * `applied`, `held` (whether the key was held just before the change) and
 * `orphan` (an LPI of a UPRN with no BLPU), decided once everything is
 * staged. Unlogged: the rows are dropped after the import, which holds the
 * import lock.
 */
export const createChangeSchema = () => [
  `DROP SCHEMA IF EXISTS ${CHANGES} CASCADE`,
  `CREATE SCHEMA ${CHANGES}`,
  ...DATA_TABLES.map((t) => `
    CREATE UNLOGGED TABLE ${CHANGES}.${t} AS
    SELECT NULL::bigint AS seq, NULL::integer AS file, NULL::integer AS line, NULL::text AS change,
           NULL::boolean AS withdrawn, NULL::boolean AS derived, NULL::boolean AS applied, NULL::boolean AS held,
           NULL::boolean AS orphan, t.*
      FROM ${LIVE}.${t} t WITH NO DATA`),
];

/** Primary keys and indexes of the live tables, re-targeted at the next schema. */
export const LIVE_INDEX_DEFINITIONS = `
  SELECT 'ALTER TABLE ${NEXT}.' || quote_ident(t.relname) || ' ADD CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid) AS ddl
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE n.nspname = '${LIVE}' AND c.contype IN ('p', 'u')
  UNION ALL
  SELECT replace(i.indexdef, ' ON ${LIVE}.', ' ON ${NEXT}.')
    FROM pg_indexes i
   WHERE i.schemaname = '${LIVE}'
     AND NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                      WHERE n.nspname = '${LIVE}' AND c.conname = i.indexname)`;

export const swapSchemas = [
  `ALTER SCHEMA ${LIVE} RENAME TO gazetteer_old`,
  `ALTER SCHEMA ${NEXT} RENAME TO ${LIVE}`,
  `DROP SCHEMA gazetteer_old CASCADE`,
];

export const analyse = (schema: GazetteerSchema, table: string) => `ANALYZE ${schema}.${table}`;

const range = (p: string, alias: string) =>
  `NULLIF(concat(${alias}.${p}_start_number, ${alias}.${p}_start_suffix,
     CASE WHEN ${alias}.${p}_end_number IS NOT NULL OR ${alias}.${p}_end_suffix IS NOT NULL
          THEN '-' || concat(${alias}.${p}_end_number, ${alias}.${p}_end_suffix) END), '')`;

/**
 * search_text, the words the type-ahead finds an address by: the address line's words folded as the matcher folds
 * them (gazetteer_fold, migration 050: accents, ' and &), and the postcode once more without its space, so that
 * "zz12bb" finds ZZ1 2BB. Migration 050 wrote the rows already loaded with this same expression.
 */
const searchText = (line: string, postcode: string) => `
  concat_ws(' ',
    -- Most lines are upper-case letters, digits and single spaces already, and testing costs a fraction of folding.
    CASE WHEN ${line} ~ '[^A-Z0-9 ]|  ' THEN gazetteer_fold(${line}) ELSE btrim(${line}) END,
    CASE WHEN ${postcode} ~ '[^A-Z0-9]' THEN nullif(regexp_replace(upper(${postcode}), '[^A-Z0-9]+', '', 'g'), '') END)`;

/**
 * Builds address index rows from the BS 7666 tables: for every UPRN when $1
 * is null, otherwise for the UPRNs in $1. An LPI whose BLPU is gone is left
 * out (a deleted BLPU ends its LPIs). The classification is the current one,
 * else the last one a retired BLPU had. The postcode is the LPI's own (DTF),
 * else the delivery point's, else the BLPU's postcode locator (AddressBase).
 */
export const buildIndex = (s: GazetteerSchema) => `
  WITH l AS (
    SELECT * FROM ${s}.lpi WHERE $1::bigint[] IS NULL OR uprn = ANY($1)
  ), dp AS (
    SELECT DISTINCT ON (uprn) uprn, postcode FROM ${s}.delivery_point
     WHERE $1::bigint[] IS NULL OR uprn = ANY($1) ORDER BY uprn, udprn
  ), org AS (
    SELECT DISTINCT ON (uprn) uprn, organisation FROM ${s}.organisation
     WHERE end_date IS NULL AND ($1::bigint[] IS NULL OR uprn = ANY($1)) ORDER BY uprn, org_key
  ), cls AS (
    SELECT DISTINCT ON (uprn) uprn, code FROM ${s}.classification
     WHERE $1::bigint[] IS NULL OR uprn = ANY($1) ORDER BY uprn, end_date IS NULL DESC, end_date DESC, class_key
  ), rows AS (
    SELECT l.lpi_key, l.uprn, l.language, l.logical_status, b.logical_status AS blpu_status, b.parent_uprn,
           l.sao_start_number, l.sao_start_suffix, l.sao_end_number, l.sao_end_suffix, l.sao_text,
           l.pao_start_number, l.pao_start_suffix, l.pao_end_number, l.pao_end_suffix, l.pao_text,
           l.usrn, sd.description AS street, sd.locality, coalesce(sd.town, l.post_town) AS town,
           coalesce(l.postcode, dp.postcode, b.postcode_locator) AS postcode,
           org.organisation, coalesce(cls.code, b.blpu_class) AS classification,
           ${range('sao', 'l')} AS sao_range, ${range('pao', 'l')} AS pao_range
      FROM l
      JOIN ${s}.blpu b ON b.uprn = l.uprn
      JOIN LATERAL (SELECT * FROM ${s}.street_descriptor d WHERE d.usrn = l.usrn
                     ORDER BY d.language = l.language DESC, d.language LIMIT 1) sd ON true
      LEFT JOIN dp ON dp.uprn = l.uprn
      LEFT JOIN org ON org.uprn = l.uprn
      LEFT JOIN cls ON cls.uprn = l.uprn
  )
  INSERT INTO ${s}.address_index (
    lpi_key, uprn, language, logical_status, blpu_status, parent_uprn,
    sao_start_number, sao_start_suffix, sao_end_number, sao_end_suffix, sao_text,
    pao_start_number, pao_start_suffix, pao_end_number, pao_end_suffix, pao_text,
    usrn, street, locality, town, postcode, organisation, classification,
    postcode_key, sector, search_text)
  SELECT lpi_key, uprn, language, logical_status, blpu_status, parent_uprn,
         sao_start_number, sao_start_suffix, sao_end_number, sao_end_suffix, sao_text,
         pao_start_number, pao_start_suffix, pao_end_number, pao_end_suffix, pao_text,
         usrn, street, locality, town, postcode, organisation, classification,
         replace(postcode, ' ', ''),
         CASE WHEN postcode ~ ' ' THEN left(postcode, length(postcode) - 2) END,
         ${searchText('line', 'postcode')}
    FROM rows, concat_ws(' ', organisation, sao_text, sao_range, pao_text, pao_range, street, locality, town, postcode) AS line`;

/** The name words of the address index rows of $1 (all when null), as address_word keeps them (migrations 008, 050): folded as search_text. */
const nameWords = (s: GazetteerSchema) => `
  SELECT DISTINCT w
    FROM (SELECT DISTINCT organisation, sao_text, pao_text, street, locality, town FROM ${s}.address_index
           WHERE $1::bigint[] IS NULL OR uprn = ANY($1)) d,
         regexp_split_to_table(lower(gazetteer_fold(concat_ws(' ', organisation, sao_text, pao_text, street, locality, town))), ' ') AS w
   WHERE length(w) >= 3 AND w ~ '[a-z]'`;

/** Those name words not yet in address_word. */
export const buildWords = (s: GazetteerSchema) => `
  INSERT INTO ${s}.address_word (word) ${nameWords(s)}
  ON CONFLICT DO NOTHING`;

/** Those name words as one array, taken before a change-only file replaces the rows. */
export const wordsOfRows = (s: GazetteerSchema) => `SELECT coalesce(array_agg(w), '{}') AS words FROM (${nameWords(s)}) n(w)`;

/**
 * Of the words $1, those no address has any more, so that misspellings are
 * not corrected to words of deleted addresses. Each is one exact term of the
 * search index (migration 010); a word is [a-z0-9]+, so it is its own tsquery.
 */
export const deleteStaleWords = (s: GazetteerSchema) => `
  DELETE FROM ${s}.address_word w
   WHERE w.word = ANY($1::text[])
     AND NOT EXISTS (SELECT 1 FROM ${s}.address_index a WHERE gazetteer_search_terms(a.search_text) @@ w.word::tsquery)`;

export const deleteIndexRows = (s: GazetteerSchema) => `DELETE FROM ${s}.address_index WHERE uprn = ANY($1::bigint[])`;

export const insertImport = `INSERT INTO gazetteer_import (file_names, format, file_type) VALUES ($1, $2, $3) RETURNING id`;
/**
 * Run holding the import lock, which a running import holds from start to end: a row still running then is one
 * whose process stopped (killed, or its connection lost) before it could say so.
 */
export const interruptAbandoned = `
  UPDATE gazetteer_import SET status = 'interrupted', finished_at = now(), error = 'the process importing it stopped before it finished'
   WHERE status = 'running'`;
/** Cancels the statements the import's own connections (application_name $1) are running, but for the caller's. */
export const cancelImportStatements = `
  SELECT pg_cancel_backend(pid) FROM pg_stat_activity
   WHERE application_name = $1 AND datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`;
export const finishImport = `
  UPDATE gazetteer_import SET finished_at = now(), status = $2, counts = $3, rejects = $4, error = $5 WHERE id = $1`;
export const insertTouched = `
  INSERT INTO gazetteer_touched (import_id, uprn, change, successor)
  SELECT $1, u.uprn, u.change, u.successor FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS u(uprn, change, successor)
  ON CONFLICT (import_id, uprn) DO UPDATE SET change = EXCLUDED.change, successor = EXCLUDED.successor`;
/**
 * A FULL supply replaces the gazetteer whole: the UPRNs source records were
 * matched to that it no longer holds (deleted) or holds as historic (retired)
 * are recorded, so that those records are matched again as after a
 * change-only file. Counted by change.
 */
export const touchedByFull = `
  WITH gone AS (
    SELECT DISTINCT m.uprn, CASE WHEN b.uprn IS NULL THEN 'deleted' ELSE 'retired' END AS change
      FROM address_match m LEFT JOIN ${NEXT}.blpu b ON b.uprn = m.uprn
     WHERE m.uprn IS NOT NULL AND (b.uprn IS NULL OR b.logical_status = 8)
  ), recorded AS (
    INSERT INTO gazetteer_touched (import_id, uprn, change) SELECT $1, uprn, change FROM gone RETURNING change
  )
  SELECT change, count(*)::int AS n FROM recorded GROUP BY change`;
export const successorsOf = (s: GazetteerSchema) => `
  SELECT DISTINCT ON (uprn) uprn, successor FROM ${s}.successor WHERE uprn = ANY($1::bigint[]) ORDER BY uprn, start_date DESC NULLS LAST`;
/**
 * The LPIs of a schema whose UPRN has no BLPU there, but for the UPRNs $1
 * (BLPUs the supply marks rejected): how many (n, on every row) and the
 * first $2 of them.
 */
export const orphanLpis = (s: GazetteerSchema) => `
  SELECT count(*) OVER ()::int AS n, l.lpi_key, l.uprn
    FROM ${s}.lpi l
   WHERE NOT EXISTS (SELECT 1 FROM ${s}.blpu b WHERE b.uprn = l.uprn)
     AND NOT EXISTS (SELECT 1 FROM unnest($1::bigint[]) r(uprn) WHERE r.uprn = l.uprn)
   LIMIT $2`;
/**
 * The keys (columns `key` of `table`) the rows of a schema give more than
 * once: how many such keys (keys, on every row), and the first $1 of them
 * with how many rows give each (n).
 */
export const duplicateKeys = (s: GazetteerSchema, table: string, key: readonly string[]) => `
  SELECT count(*) OVER ()::int AS keys, d.*
    FROM (SELECT ${key.join(', ')}, count(*)::int AS n FROM ${s}.${table} GROUP BY ${key.join(', ')} HAVING count(*) > 1) d
   ORDER BY ${key.join(', ')}
   LIMIT $1`;
export const countRows = (s: GazetteerSchema, table: string) => `SELECT count(*)::int AS n FROM ${s}.${table}`;
