/**
 * Keeps the stored blocking keys made with the rules and nickname table the
 * hub links with. A key may hold a nickname root's initial, and every key
 * its rule's position, so new rules or another nickname table would leave
 * old records' keys where no new record's keys meet them: linking would
 * quietly stop finding them. When the fingerprint differs from the one the
 * keys were made with, every indexed record's keys are made again from its
 * stored features, under the linkage lock, before anything is linked.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { BLOCKING_KEYS_VERSION, prepare, type BlockingRule, type PersonRecord, type PrepareTables } from '../../matching/person/index.js';
import type { LinkageContext } from './context.js';
import { blockKeys } from './person-index.js';

/** What the keys depend on besides a record: the rules' version, names and order, and the nickname table. */
export function keysFingerprint(rules: readonly BlockingRule[], tables: PrepareTables): string {
  const hash = createHash('sha256').update(`${BLOCKING_KEYS_VERSION}\n${rules.map((r) => r.name).join('\n')}\n`);
  for (const [name, roots] of [...tables.nicknames.roots].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${name}=${roots.join(',')}\n`);
  return hash.digest('hex');
}

const CHUNK = 5_000;

/** The fingerprint the stored keys were made with; undefined before any were. */
export const storedFingerprint = async (db: pg.Pool | pg.PoolClient): Promise<string | undefined> =>
  (await db.query<{ fingerprint: string }>('SELECT fingerprint FROM person_block_keying')).rows[0]?.fingerprint;
const SAVE_SQL = `INSERT INTO person_block_keying (fingerprint) VALUES ($1)
  ON CONFLICT (one) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, keyed_at = now()`;
const CHUNK_SQL = `SELECT system, source_ref, features FROM person_record
  WHERE (system, source_ref) > ($1, $2) ORDER BY system, source_ref LIMIT ${CHUNK}`;
/** The chunk's records' keys replaced, in person_record and in person_block (emptied before the first chunk). */
const REKEY_SQL = `
  WITH r AS MATERIALIZED (SELECT * FROM json_to_recordset($1::json) AS r(system text, source_ref text, keys text[])),
  u AS (UPDATE person_record p SET block_keys = r.keys FROM r WHERE p.system = r.system AND p.source_ref = r.source_ref)
  INSERT INTO person_block (key, system, source_ref) SELECT unnest(keys), system, source_ref FROM r`;

/**
 * Makes every record's keys again when they were made with another
 * fingerprint than `fingerprint` (keysFingerprint of the context), or before
 * fingerprints were kept; returns how many records were keyed again. `db`
 * must hold the linkage lock in its transaction.
 */
export async function rekeyIfChanged(db: pg.PoolClient, ctx: Pick<LinkageContext, 'rules' | 'tables'>, fingerprint: string): Promise<number> {
  if ((await storedFingerprint(db)) === fingerprint) return 0;
  await db.query('DELETE FROM person_block');
  let rekeyed = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    const { rows } = await db.query<{ system: string; source_ref: string; features: PersonRecord }>(CHUNK_SQL, after);
    if (rows.length === 0) break;
    const keyed = rows.map((r) => ({ system: r.system, source_ref: r.source_ref, keys: blockKeys(ctx, prepare(r.features, ctx.tables)) }));
    await db.query(REKEY_SQL, [JSON.stringify(keyed)]);
    rekeyed += rows.length;
    const last = rows[rows.length - 1]!;
    after = [last.system, last.source_ref];
  }
  await db.query(SAVE_SQL, [fingerprint]);
  return rekeyed;
}
