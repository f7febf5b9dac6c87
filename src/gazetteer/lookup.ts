/**
 * Reads of the loaded gazetteer for the API: type-ahead search for CRM
 * address pickers, one property with everything the gazetteer knows of it,
 * and one street.
 */
import type pg from 'pg';
import { searchWords, spellingsOf } from '../../matching/address/index.js';
import type { IndexedAddress } from '../../schemas/bs7666.js';

export interface AddressRow extends IndexedAddress {
  current: boolean;
}

const INDEX_COLUMNS = `
  uprn, lpi_key AS "lpiKey", language, logical_status AS "logicalStatus", blpu_status AS "blpuStatus", parent_uprn AS "parentUprn",
  sao_start_number AS "saoStartNumber", sao_start_suffix AS "saoStartSuffix", sao_end_number AS "saoEndNumber",
  sao_end_suffix AS "saoEndSuffix", sao_text AS "saoText",
  pao_start_number AS "paoStartNumber", pao_start_suffix AS "paoStartSuffix", pao_end_number AS "paoEndNumber",
  pao_end_suffix AS "paoEndSuffix", pao_text AS "paoText",
  usrn, street, locality, town, postcode, organisation, classification, current`;

/** The typed words as the index keeps them (accents folded, ' dropped, & as AND; see migration 050), lower case. */
const wordsOf = (q: string) => searchWords(q).map((w) => w.toLowerCase());
const isNumber = (w: string) => /^[0-9]+$/.test(w);

/** The other spellings the address matcher reads a word as (RD for ROAD, ST for SAINT, ...), lower case. */
const spellings = (w: string): string[] => spellingsOf(w.toUpperCase()).map((s) => s.toLowerCase());

/**
 * A typed word as tsquery alternatives: itself as a prefix, and its other spellings as whole words, since the index
 * holds the gazetteer's words as written; not those the prefix finds anyway (CLOSE for "cl"), each one more posting
 * list for the index to read.
 */
const alternativesOf = (w: string): string[] => [`${w}:*`, ...spellings(w).filter((s) => !s.startsWith(w))];

/** The typed words and their other spellings as whole words, for ranking whole-word matches first. */
const wholeWords = (words: string[]): string =>
  words.map((w) => {
    const all = [w, ...spellings(w)];
    return all.length === 1 ? w : `(${all.join(' | ')})`;
  }).join(' & ');

/** The search index's prefix terms are up to this long; see migration 010. */
const PREFIX_TERM_LENGTH = 4;

/**
 * A query as tsquery text, one group of alternatives per word (a word is
 * [a-z0-9]+; an alternative is "word:*" for a typed prefix or a whole word),
 * in two forms: `index`, what the search index (migration 010) looks up, and
 * `all`, what search_vector must match. The index looks a typed prefix up as
 * its prefix term of at most four characters ('mano.' for "manor:*"), one
 * exact term it intersects cheaply; a longer prefix is checked on the row. A
 * group of several alternatives (a misspelt word and its corrections) is
 * looked up as it is: the misspelt prefix begins few words if any, where its
 * prefix term ('heat.' for "heatth") would find every HEATH and HEATHER.
 */
function tsQueries(groups: string[][]): { index: string; all: string } {
  // In a group, only a prefix the prefix term holds whole: that term is then the same query, and cheaper.
  const term = (a: string, alone: boolean) =>
    a.endsWith(':*') && (alone || a.length - 2 <= PREFIX_TERM_LENGTH) ? `'${a.slice(0, -2).slice(0, PREFIX_TERM_LENGTH)}.'` : a;
  const text = (g: string[]) => (g.length === 1 ? g[0]! : `(${g.join(' | ')})`);
  const index = groups.map((g) => (g.length === 1 ? term(g[0]!, true) : `(${g.map((a) => term(a, false)).join(' | ')})`));
  return { index: index.join(' & '), all: groups.map(text).join(' & ') };
}

const ORDER = `current DESC, street, town, pao_start_number NULLS FIRST, pao_start_suffix NULLS FIRST, pao_text NULLS FIRST,
               sao_start_number NULLS FIRST, sao_start_suffix NULLS FIRST, sao_text NULLS FIRST, logical_status`;

// ts_match_vq is @@ in a form the planner does not take to an index.
const MATCH = `gazetteer_search_terms(search_text) @@ $1::tsquery AND ts_match_vq(search_vector, $2::tsquery)
     AND ($3::text IS NULL OR postcode_key LIKE $3 || '%')`;

/**
 * Every word begins a word of the address; whole words ($5) rank "FLAT 2"
 * above "FLAT 1 ... 2BD". At most PREFIX_CANDIDATES rows are ranked: a
 * query as broad as "mill la" matches thousands of addresses, and sorting
 * all of them is most of a slow answer; the picker narrows as people type.
 */
const PREFIX_CANDIDATES = 1500;
const SEARCH_PREFIX = `
  SELECT ${INDEX_COLUMNS} FROM (
    SELECT * FROM gazetteer.address_index WHERE ${MATCH} LIMIT ${PREFIX_CANDIDATES}) c
   ORDER BY current DESC, search_vector @@ $5::tsquery DESC, ${ORDER}
   LIMIT $4`;

/** Up to three words of address_word like each query word that begins none of them (trigram GIN on a short table). */
const SIMILAR_WORDS = `
  SELECT q.word, s.word AS similar
    FROM unnest($1::text[]) AS q(word)
    CROSS JOIN LATERAL (
      SELECT w.word FROM gazetteer.address_word w
       WHERE w.word % q.word ORDER BY similarity(w.word, q.word) DESC, w.word LIMIT 3) s
   WHERE NOT EXISTS (SELECT 1 FROM gazetteer.address_word k WHERE k.word >= q.word AND k.word < q.word || '{')`;

/**
 * Addresses matching the corrected words, those with the typed house
 * numbers ($5) first. At most FUZZY_CANDIDATES rows are ranked, so a
 * correction to a common word costs no more than one to a rare word.
 */
const FUZZY_CANDIDATES = 2000;
const SEARCH_FUZZY = `
  SELECT ${INDEX_COLUMNS} FROM (
    SELECT * FROM gazetteer.address_index WHERE ${MATCH} LIMIT ${FUZZY_CANDIDATES}) c
   ORDER BY current DESC, search_vector @@ $5::tsquery DESC, ${ORDER}
   LIMIT $4`;

const BY_POSTCODE = `
  SELECT ${INDEX_COLUMNS} FROM gazetteer.address_index
   WHERE postcode_key LIKE $1 || '%'
   ORDER BY ${ORDER}
   LIMIT $2`;

/**
 * The fuzzy form of a query: a word of three or more characters with a
 * letter that begins no word of the gazetteer may also be one of its similar
 * words; numbers are left out so that the neighbours of a house fill the
 * list. Null when that is the prefix query again.
 */
async function fuzzyGroups(pool: pg.Pool, words: string[]): Promise<string[][] | null> {
  const wanted = words.filter((w) => w.length >= 3 && !isNumber(w));
  const similar = new Map<string, string[]>();
  if (wanted.length > 0) {
    for (const r of (await pool.query<{ word: string; similar: string }>(SIMILAR_WORDS, [wanted])).rows) {
      similar.set(r.word, [...(similar.get(r.word) ?? []), r.similar]);
    }
  }
  const kept = words.filter((w) => !isNumber(w));
  if (kept.length === 0 || (similar.size === 0 && kept.length === words.length)) return null;
  return kept.map((w) => [...alternativesOf(w), ...(similar.get(w) ?? [])]);
}

/**
 * Ranked type-ahead: every typed word must begin a word of the address
 * (current addresses first, then street order); when that finds too few,
 * misspelt words are replaced by similar words of the gazetteer and those
 * addresses fill up the list. One entry per UPRN, the best of its addresses
 * (or its address in `language`, when that matched too).
 */
export async function searchAddresses(
  pool: pg.Pool, query: { q?: string | undefined; postcode?: string | undefined; limit: number; language?: string | undefined },
): Promise<AddressRow[]> {
  const postcodeKey = query.postcode ? query.postcode.toUpperCase().replace(/[^A-Z0-9]/g, '') || null : null;
  const words = query.q ? wordsOf(query.q) : [];
  const fetch = query.limit * 3;
  let rows: AddressRow[];
  if (words.length > 0) {
    const prefix = tsQueries(words.map(alternativesOf));
    rows = (await pool.query<AddressRow>(SEARCH_PREFIX, [prefix.index, prefix.all, postcodeKey, fetch, wholeWords(words)])).rows;
    if (distinctUprns(rows) < query.limit) {
      const groups = await fuzzyGroups(pool, words);
      if (groups) {
        const fuzzy = tsQueries(groups);
        const numbers = words.filter(isNumber).join(' & ') || null;
        rows = rows.concat((await pool.query<AddressRow>(SEARCH_FUZZY, [fuzzy.index, fuzzy.all, postcodeKey, fetch, numbers])).rows);
      }
    }
  } else if (postcodeKey) {
    rows = (await pool.query<AddressRow>(BY_POSTCODE, [postcodeKey, fetch])).rows;
  } else {
    rows = [];
  }
  return onePerProperty(rows, query.limit, query.language ?? null);
}

/**
 * The first `limit` properties of the ranked rows, each once, at the place of
 * its best row: as that row, or, given a language, as the property's address
 * in that language when one matched (a Welsh council's picker showing its
 * callers' language, whichever language's words they typed).
 */
function onePerProperty(rows: AddressRow[], limit: number, language: string | null): AddressRow[] {
  const best = new Map<number, AddressRow>();
  for (const row of rows) {
    const held = best.get(row.uprn);
    if (!held) {
      if (best.size === limit) continue;
      best.set(row.uprn, row);
    } else if (language !== null && held.language !== language && row.language === language && row.current === held.current) {
      best.set(row.uprn, row);
    }
  }
  return [...best.values()];
}

function distinctUprns(rows: AddressRow[]): number {
  return new Set(rows.map((r) => r.uprn)).size;
}

export interface PropertyDetail {
  blpu: Record<string, unknown>;
  addresses: AddressRow[];
  lpis: Record<string, unknown>[];
  classifications: Record<string, unknown>[];
  crossReferences: Record<string, unknown>[];
  organisations: Record<string, unknown>[];
  deliveryPoints: Record<string, unknown>[];
  parent: AddressRow | null;
  children: AddressRow[];
  successorUprn: number | null;
}

const BLPU = `
  SELECT uprn, logical_status AS "logicalStatus", state, parent_uprn AS "parentUprn", x, y, latitude, longitude, rpc,
         local_custodian_code AS "localCustodianCode", to_char(start_date, 'YYYY-MM-DD') AS "startDate",
         to_char(end_date, 'YYYY-MM-DD') AS "endDate", postcode_locator AS "postcodeLocator", blpu_class AS "blpuClass"
    FROM gazetteer.blpu WHERE uprn = $1`;
const LPIS = `
  SELECT lpi_key AS "lpiKey", language, logical_status AS "logicalStatus", to_char(start_date, 'YYYY-MM-DD') AS "startDate",
         to_char(end_date, 'YYYY-MM-DD') AS "endDate", usrn, level, official_flag AS "officialFlag"
    FROM gazetteer.lpi WHERE uprn = $1 ORDER BY logical_status, lpi_key`;
const INDEX_BY_UPRN = `SELECT ${INDEX_COLUMNS} FROM gazetteer.address_index WHERE uprn = ANY($1::bigint[]) ORDER BY logical_status, lpi_key`;
const CHILDREN = `SELECT uprn FROM gazetteer.blpu WHERE parent_uprn = $1 ORDER BY uprn LIMIT 2000`;
const dated = (cols: string, table: string, order: string) => `
  SELECT ${cols}, to_char(start_date, 'YYYY-MM-DD') AS "startDate", to_char(end_date, 'YYYY-MM-DD') AS "endDate"
    FROM gazetteer.${table} WHERE uprn = $1 ORDER BY ${order}`;
const CLASSIFICATIONS = dated(`class_key AS "classKey", code, scheme`, 'classification', 'class_key');
const XREFS = dated(`xref_key AS "xrefKey", cross_reference AS "crossReference", source`, 'cross_reference', 'xref_key');
const ORGANISATIONS = dated(`org_key AS "orgKey", organisation, legal_name AS "legalName"`, 'organisation', 'org_key');
const DELIVERY_POINTS = `
  SELECT udprn, organisation_name AS "organisationName", sub_building_name AS "subBuildingName", building_name AS "buildingName",
         building_number AS "buildingNumber", thoroughfare, dependent_locality AS "dependentLocality", post_town AS "postTown", postcode
    FROM gazetteer.delivery_point WHERE uprn = $1 ORDER BY udprn`;
const SUCCESSOR = `SELECT successor FROM gazetteer.successor WHERE uprn = $1 ORDER BY start_date DESC NULLS LAST, succ_key LIMIT 1`;

/** Everything the gazetteer holds on one UPRN; null when it has no such BLPU. */
export async function propertyByUprn(pool: pg.Pool, uprn: number): Promise<PropertyDetail | null> {
  const blpu = (await pool.query(BLPU, [uprn])).rows[0] as Record<string, unknown> | undefined;
  if (!blpu) return null;
  const parentUprn = blpu['parentUprn'] as number | null;
  const [lpis, classifications, crossReferences, organisations, deliveryPoints, childUprns, successor] = await Promise.all([
    pool.query(LPIS, [uprn]),
    pool.query(CLASSIFICATIONS, [uprn]),
    pool.query(XREFS, [uprn]),
    pool.query(ORGANISATIONS, [uprn]),
    pool.query(DELIVERY_POINTS, [uprn]),
    pool.query<{ uprn: number }>(CHILDREN, [uprn]),
    pool.query<{ successor: number }>(SUCCESSOR, [uprn]),
  ]);
  const wanted = [uprn, ...(parentUprn ? [parentUprn] : []), ...childUprns.rows.map((r) => r.uprn)];
  const indexRows = (await pool.query<AddressRow>(INDEX_BY_UPRN, [wanted])).rows;
  const best = (u: number) => indexRows.find((r) => r.uprn === u) ?? null;
  return {
    blpu,
    addresses: indexRows.filter((r) => r.uprn === uprn),
    lpis: lpis.rows,
    classifications: classifications.rows,
    crossReferences: crossReferences.rows,
    organisations: organisations.rows,
    deliveryPoints: deliveryPoints.rows,
    parent: parentUprn ? best(parentUprn) : null,
    children: childUprns.rows.map((r) => best(r.uprn)).filter((r): r is AddressRow => r !== null),
    successorUprn: successor.rows[0]?.successor ?? null,
  };
}

/** A UPRN the gazetteer no longer holds but which names a successor. */
export async function successorOfRemoved(pool: pg.Pool, uprn: number): Promise<number | null> {
  return (await pool.query<{ successor: number }>(SUCCESSOR, [uprn])).rows[0]?.successor ?? null;
}

const STREET = `
  SELECT s.usrn, s.record_type AS "recordType", s.state, to_char(s.start_date, 'YYYY-MM-DD') AS "startDate",
         to_char(s.end_date, 'YYYY-MM-DD') AS "endDate", s.start_x AS "startX", s.start_y AS "startY", s.end_x AS "endX", s.end_y AS "endY"
    FROM gazetteer.street s WHERE s.usrn = $1`;
const DESCRIPTORS = `
  SELECT description, locality, town, administrative_area AS "administrativeArea", language
    FROM gazetteer.street_descriptor WHERE usrn = $1 ORDER BY language`;
const STREET_ADDRESSES = `
  SELECT ${INDEX_COLUMNS}, count(*) OVER () AS total FROM gazetteer.address_index
   WHERE usrn = $1 AND logical_status = 1 ORDER BY ${ORDER} LIMIT $2`;

export async function streetByUsrn(pool: pg.Pool, usrn: number, limit: number) {
  const street = (await pool.query(STREET, [usrn])).rows[0] as Record<string, unknown> | undefined;
  if (!street) return null;
  const [descriptors, addresses] = await Promise.all([
    pool.query(DESCRIPTORS, [usrn]),
    pool.query<AddressRow & { total: number }>(STREET_ADDRESSES, [usrn, limit]),
  ]);
  return {
    street,
    descriptors: descriptors.rows,
    addressCount: addresses.rows[0]?.total ?? 0,
    addresses: addresses.rows.map(({ total: _total, ...row }) => row),
  };
}
