/**
 * The linkage index: each current source record's features (the library's
 * PersonRecord) and blocking keys, kept so that a new record finds its
 * candidates through an index and compares them without re-reading and
 * re-mapping their source records.
 */
import type pg from 'pg';
import type { ParsedAddress } from '../../matching/address/index.js';
import { prepare, type PersonRecord, type PreparedPerson } from '../../matching/person/index.js';
import type { SourceRecord } from '../../schemas/source-record.js';
import type { LinkedBy } from './accounts.js';
import type { LinkageContext } from './context.js';
import { clip, personFeatures, recordKey } from './features.js';

/** Each rule's keys, numbered by rule and cut to INDEXED_MAX characters (two values that long and alike are one block, at worst a candidate pair more). */
export function blockKeys(ctx: Pick<LinkageContext, 'rules'>, p: PreparedPerson): string[] {
  return ctx.rules.flatMap((rule, i) => [...new Set(rule.keys(p).map((k) => clip(k)))].map((k) => `${i}:${k}`));
}

/** The most records a stored key's block may hold and still pair them: its rule's limit, within the context's. */
export function blockLimit(ctx: Pick<LinkageContext, 'rules' | 'maxBlockSize'>, key: string): number {
  const own = ctx.rules[Number(key.slice(0, key.indexOf(':')))]?.maxBlockSize;
  return own === undefined ? ctx.maxBlockSize : Math.min(own, ctx.maxBlockSize);
}

/**
 * Records indexed from one JSON array (system, source_ref, id, features, keys, reindexed): cheaper to send than a
 * parameter array per column. The old keys of re-indexed records (as person_record holds them) are deleted and the
 * new ones added in one statement: its parts see one snapshot, so the delete reads the old keys and removes none of
 * the new rows.
 */
const INDEX_SQL = `
  WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset($1::json) AS r(system text, source_ref text, id bigint, features jsonb, keys text[], reindexed boolean)
  ), old AS (
    SELECT p.system, p.source_ref, unnest(p.block_keys) AS key FROM r JOIN person_record p ON p.system = r.system AND p.source_ref = r.source_ref
     WHERE r.reindexed
  ), p AS (
    INSERT INTO person_record (system, source_ref, source_record_id, features, block_keys) SELECT system, source_ref, id, features, keys FROM r
    ON CONFLICT (system, source_ref) DO UPDATE SET source_record_id = EXCLUDED.source_record_id, features = EXCLUDED.features, block_keys = EXCLUDED.block_keys
  ), d AS (
    DELETE FROM person_block b USING old WHERE b.key = old.key AND b.system = old.system AND b.source_ref = old.source_ref
  )
  INSERT INTO person_block (key, system, source_ref) SELECT unnest(keys), system, source_ref FROM r`;

interface Indexed { system: string; source_ref: string; id: string | number; features: PersonRecord; keys: readonly string[]; reindexed: boolean }

/**
 * Records new to the index, indexed outside the linkage lock (a large run's read-ahead): a record already in
 * person_record is left for its batch, which holds the lock, to index again. Returns the records it indexed.
 */
const INDEX_NEW_SQL = `
  WITH r AS MATERIALIZED (
    SELECT * FROM json_to_recordset($1::json) AS r(system text, source_ref text, id bigint, features jsonb, keys text[])
  ), p AS (
    INSERT INTO person_record (system, source_ref, source_record_id, features, block_keys) SELECT system, source_ref, id, features, keys FROM r
    ON CONFLICT (system, source_ref) DO NOTHING
    RETURNING system, source_ref, source_record_id, block_keys
  ), b AS (
    INSERT INTO person_block (key, system, source_ref) SELECT unnest(block_keys), system, source_ref FROM p
  )
  SELECT system, source_ref, source_record_id FROM p`;

/**
 * Indexes those of the records that are new to the index, in one statement of its own (committed at once); returns
 * them as `system|source_ref#version`. Until linked they are in no account, so no candidate of anyone.
 */
export async function indexNew(
  pool: pg.Pool, items: readonly { system: string; sourceRef: string; id: string; features: PersonRecord; keys: readonly string[] }[],
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await pool.query<{ system: string; source_ref: string; source_record_id: string }>({
    name: 'linkage-index-new', text: INDEX_NEW_SQL,
    values: [JSON.stringify(items.map((i) => ({ system: i.system, source_ref: i.sourceRef, id: i.id, features: i.features, keys: i.keys })))],
  });
  return new Set(rows.map((r) => `${recordKey(r.system, r.source_ref)}#${r.source_record_id}`));
}

const index = (db: pg.PoolClient, records: readonly Indexed[]) => db.query({ name: 'linkage-index', text: INDEX_SQL, values: [JSON.stringify(records)] });

export async function indexRecord(db: pg.PoolClient, ctx: Pick<LinkageContext, 'rules'>, sourceRecordId: number, features: PersonRecord, prepared: PreparedPerson, system: string, sourceRef: string) {
  const keys = blockKeys(ctx, prepared);
  await index(db, [{ system, source_ref: sourceRef, id: sourceRecordId, features, keys, reindexed: true }]);
  return keys;
}

/** Indexes a record's current version for candidate lookup (no model needed); false when it has no current version. */
export async function indexSourceRecord(db: pg.PoolClient, ctx: Pick<LinkageContext, 'rules' | 'tables'>, system: string, sourceRef: string): Promise<boolean> {
  const row = (await db.query<{ id: string; record: SourceRecord; matched_uprn: string | null; matched_parse: ParsedAddress | null }>(
    `SELECT s.id, s.record, ${MATCHED_COLUMNS} FROM source_record s
       LEFT JOIN address_match am ON am.source_record_id = s.id
      WHERE s.system = $1 AND s.source_ref = $2 AND s.current`, [system, sourceRef],
  )).rows[0];
  if (!row) return false;
  const features = personFeatures(row.record, row.matched_uprn, row.matched_parse);
  await indexRecord(db, ctx, Number(row.id), features, prepare(features, ctx.tables), system, sourceRef);
  return true;
}

/**
 * The columns of a record's address match (joined as `am`, any status): the UPRN it matched, and how it parsed the
 * address, which linkage takes for the house number and street (the matcher's parser knows the gazetteer's localities
 * and towns: "REDCASTER PARK" is a locality there, not a street).
 */
export const MATCHED_COLUMNS = "CASE WHEN am.status = 'matched' THEN am.uprn END AS matched_uprn, am.explanation->'parsed' AS matched_parse";

/** Records of the accounts that share a blocking key with the record (blocks over their limit, blockLimit, skipped), and of `also`. */
export const MEMBERS_SQL = `
  WITH hits AS MATERIALIZED (
    SELECT k.key, k.most, b.system, b.source_ref
      FROM unnest($1::text[], $4::int[]) AS k(key, most)
     CROSS JOIN LATERAL (SELECT system, source_ref FROM person_block b WHERE b.key = k.key LIMIT k.most + 1) b
  ), small AS (
    SELECT DISTINCT system, source_ref FROM hits
     WHERE key IN (SELECT key FROM hits GROUP BY key, most HAVING count(*) <= most) AND NOT (system = $2 AND source_ref = $3)
  ), accounts AS (
    SELECT l.citizen_id FROM small
     CROSS JOIN LATERAL (SELECT citizen_id FROM citizen_link l WHERE l.system = small.system AND l.source_ref = small.source_ref AND l.ended_at IS NULL OFFSET 0) l
    UNION SELECT unnest($5::bigint[])
  )
  SELECT m.citizen_id, m.system, m.source_ref, m.linked_by, p.features
    FROM accounts a
   CROSS JOIN LATERAL (SELECT citizen_id, system, source_ref, linked_by FROM citizen_link l WHERE l.citizen_id = a.citizen_id AND l.ended_at IS NULL OFFSET 0) m
    JOIN person_record p ON p.system = m.system AND p.source_ref = m.source_ref
   WHERE NOT (m.system = $2 AND m.source_ref = $3)
   ORDER BY m.citizen_id, m.system, m.source_ref`;

/**
 * Records' current versions, whether each is indexed as that version, its link, and whether any steward decision bears on it;
 * with or without the record itself (a batch reads the records ahead, outside its transaction).
 */
const recordsSql = (where: string, record: boolean) => `
  SELECT s.system, s.source_ref, s.id,${record ? ' s.record,' : ''} s.closed, p.source_record_id AS indexed, l.citizen_id, l.linked_by,
         ${record ? MATCHED_COLUMNS : "CASE WHEN am.status = 'matched' THEN am.uprn END AS matched_uprn"},
         EXISTS (SELECT 1 FROM link_decision d WHERE d.revoked_at IS NULL AND d.system = s.system AND d.source_ref = s.source_ref)
      OR EXISTS (SELECT 1 FROM link_decision d WHERE d.revoked_at IS NULL AND d.other_system = s.system AND d.other_source_ref = s.source_ref)
      OR EXISTS (SELECT 1 FROM link_decision d WHERE d.revoked_at IS NULL AND d.kind <> 'link'
                  AND (d.citizen_id = l.citizen_id OR d.citizen_id IN (SELECT id FROM citizen WHERE merged_into = l.citizen_id))) AS decided
    FROM source_record s
    LEFT JOIN person_record p ON p.system = s.system AND p.source_ref = s.source_ref
    LEFT JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL
    LEFT JOIN address_match am ON am.source_record_id = s.id
   WHERE ${where} AND s.current`;
export const RECORD_SQL = recordsSql('s.system = $1 AND s.source_ref = $2', true);
export const RECORD_STATES_SQL = recordsSql('(s.system, s.source_ref) IN (SELECT * FROM unnest($1::text[], $2::text[]))', false);

/** What linking needs to know of a record's current version besides its content. */
export interface RecordState {
  system: string; source_ref: string; id: string; closed: boolean; indexed: string | null;
  citizen_id: string | null; linked_by: string | null; decided: boolean;
  /** The UPRN address matching found for this version, if it matched. */
  matched_uprn: string | null;
}

export interface RecordRow extends RecordState {
  record: SourceRecord;
  /** How address matching parsed the record's address (whatever it found), if it was matched at all. */
  matched_parse: ParsedAddress | null;
}

export const currentOf = (row: RecordState) => (row.citizen_id === null ? null : { citizenId: Number(row.citizen_id), linkedBy: row.linked_by as LinkedBy });
export const isChanged = (row: RecordState) => row.indexed === null || Number(row.indexed) !== Number(row.id);

/** Indexes many records in one statement (the pairs must be distinct). */
export async function indexMany(db: pg.PoolClient, items: { row: RecordState; features: PersonRecord; keys: readonly string[] }[]): Promise<void> {
  if (items.length === 0) return;
  // Only records indexed before have keys to drop: a first load deletes nothing.
  await index(db, items.map((i) => ({ system: i.row.system, source_ref: i.row.source_ref, id: i.row.id, features: i.features, keys: i.keys, reindexed: i.row.indexed !== null })));
}
