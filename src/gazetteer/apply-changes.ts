/**
 * Applies the change-only records staged in schema gazetteer_changes (one
 * row per I/U/D, `seq` their order across the command's files) to the live
 * gazetteer inside the caller's transaction, set-wise: a few statements per
 * table whatever the size of the supply. Says which UPRNs changed and how,
 * so the address index can be rebuilt for them and matched records
 * re-examined, and which changes the gazetteer's state refused.
 *
 * A change is reported when it does not fit what is held under its key
 * just before it: an I of a key held, a U or D of a key not held. An I so
 * is refused and keeps the record held: it says the hub's copy and the
 * supplier's have parted, and which one is right is for the operator to
 * find out, not for the import to guess. A D so has nothing to remove. A U
 * so is applied, as an insert: the hub does not hold the records a supplier
 * has rejected (status 9), and a U is how a supplier reinstates one. Two
 * changes are exempt: a record
 * changed to rejected (status 9, `withdrawn`), which may never have been
 * held, and DTF organisations derived from their BLPU line, which follow
 * that line.
 *
 * An LPI written (I or U) for a UPRN that has no BLPU, neither held nor
 * written by the supply, is refused and reported before anything else is
 * decided: a BS 7666 address belongs to a BLPU, and applied it would hold an
 * address no search can find, or move one off its property to nowhere.
 */
import type pg from 'pg';
import { CHANGES, LIVE } from './sql.js';
import { TABLES, type RecordType, type TableSpec } from './tables.js';

export type TouchKind = 'inserted' | 'updated' | 'deleted' | 'retired';
export type ChangeRule = 'insert-of-existing-record' | 'update-of-missing-record' | 'delete-of-missing-record' | 'lpi-of-missing-blpu';

export interface ReportedChange {
  /** 1-based position of the file among the command's files. */
  file: number;
  line: number;
  recordType: RecordType;
  /** The record's key as written, e.g. `LPI_KEY 100002L9`. */
  key: string;
  rule: ChangeRule;
  /** Whether the change was applied all the same (an update of a key not held, as an insert). */
  applied: boolean;
  /** The UPRN of an LPI refused for want of a BLPU. */
  uprn?: number;
}

export interface AppliedChanges {
  touched: Map<number, TouchKind>;
  reported: ReportedChange[];
}

const RULES: Record<'I' | 'U' | 'D', ChangeRule> = { I: 'insert-of-existing-record', U: 'update-of-missing-record', D: 'delete-of-missing-record' };
const TOUCH_KINDS: TouchKind[] = ['updated', 'inserted', 'retired', 'deleted'];

const staged = (spec: TableSpec) => `${CHANGES}.${spec.table}`;
const keyList = (alias: string, spec: TableSpec) => spec.key.map((k) => `${alias}.${k}`).join(', ');
const sameKey = (a: string, b: string, spec: TableSpec) => spec.key.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');

/**
 * Whether each change is applied. A key is held just before a change as the
 * last change before it in the supply left it, applied or refused alike (an
 * I or a U leaves it held, a D gone), else as the live table holds it:
 * `seq * 2 + 1` marks an I or U, so the largest such value names the last
 * change and its kind. An I is applied when the key is not held, a D when it
 * is, a U always. An LPI refused for want of a BLPU (`orphan`) is as if not
 * written: it leaves the key as it found it.
 */
const decide = (spec: TableSpec) => `
  UPDATE ${staged(spec)} c SET held = d.held, applied = (c.change = 'U' OR (c.change = 'I') <> d.held)
    FROM (SELECT s.seq,
                 coalesce(
                   (max(s.seq * 2 + (s.change <> 'D')::int)
                      OVER (PARTITION BY ${keyList('s', spec)} ORDER BY s.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) % 2 = 1,
                   t.${spec.key[0]} IS NOT NULL) AS held
            FROM ${staged(spec)} s LEFT JOIN ${LIVE}.${spec.table} t ON ${sameKey('t', 's', spec)}
           WHERE NOT s.derived AND s.orphan IS NOT TRUE) d
   WHERE c.seq = d.seq`;

/** A derived organisation is applied with its BLPU line: an organisation added to a BLPU comes as a U, a cleared one as a D. */
const DECIDE_DERIVED = `
  UPDATE ${CHANGES}.organisation o SET applied = b.applied
    FROM ${CHANGES}.blpu b WHERE o.derived AND b.file = o.file AND b.line = o.line`;

const keyText = (spec: TableSpec) => `concat_ws(' ', ${spec.key.map((k) => `'${k.toUpperCase()}', ${k}`).join(', ')})`;
const reportedOf = (type: RecordType, spec: TableSpec) => `
  SELECT ${type} AS "recordType", seq, file, line, CASE change ${Object.entries(RULES).map(([c, r]) => `WHEN '${c}' THEN '${r}'`).join(' ')} END AS rule,
         applied, ${keyText(spec)} AS key, NULL::bigint AS uprn
    FROM ${staged(spec)} WHERE (change = 'I') = held AND NOT withdrawn AND NOT derived`;
const REPORTED = `${Object.entries(TABLES).map(([type, spec]) => reportedOf(Number(type) as RecordType, spec)).join(' UNION ALL ')}
  UNION ALL
  SELECT 24, seq, file, line, 'lpi-of-missing-blpu', false, ${keyText(TABLES[24])}, uprn FROM ${CHANGES}.lpi WHERE orphan
  ORDER BY seq`;

/**
 * LPIs written for a UPRN with no BLPU: none held, and none written (I or U)
 * anywhere in the supply, whose files are applied as one, in whatever order
 * their records come. A BLPU the supply deletes was held, so an LPI written
 * after its delete stays as written (see END_LPIS_OF_DELETED).
 */
const MARK_ORPHANS = `
  UPDATE ${CHANGES}.lpi c SET orphan = true, applied = false
   WHERE c.change <> 'D'
     AND NOT EXISTS (SELECT 1 FROM ${LIVE}.blpu b WHERE b.uprn = c.uprn)
     AND NOT EXISTS (SELECT 1 FROM ${CHANGES}.blpu s WHERE s.uprn = c.uprn AND s.change <> 'D')`;

/** Each key's last applied change decides: a D removes the row, an I or U leaves the row as written. */
const lastApplied = (spec: TableSpec) => `
  SELECT DISTINCT ON (${spec.key.join(', ')}) * FROM ${staged(spec)} WHERE applied ORDER BY ${spec.key.join(', ')}, seq DESC`;

const removeDeleted = (spec: TableSpec) => `
  DELETE FROM ${LIVE}.${spec.table} t USING (${lastApplied(spec)}) l WHERE l.change = 'D' AND ${sameKey('t', 'l', spec)}`;

const writeWritten = (spec: TableSpec) => `
  INSERT INTO ${LIVE}.${spec.table} (${spec.columns.join(', ')})
  SELECT ${spec.columns.join(', ')} FROM (${lastApplied(spec)}) l WHERE l.change <> 'D'
  ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${spec.columns.filter((c) => !spec.key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;

/**
 * A deleted BLPU ends its LPIs: they stay as history but leave the address
 * index. The end date is the LPI's own, else the deleting record's, else the
 * date of the supply that deleted it ($1, per file), and only failing all
 * of those the day of the import. An LPI written after the delete in the
 * supply stays as written.
 */
const END_LPIS_OF_DELETED = `
  UPDATE ${LIVE}.lpi l SET logical_status = 8, end_date = coalesce(l.end_date, d.end_date, ($1::date[])[d.file], current_date)
    FROM (SELECT DISTINCT ON (uprn) uprn, seq, file, end_date FROM ${CHANGES}.blpu
           WHERE applied AND change = 'D' ORDER BY uprn, seq DESC) d
   WHERE l.uprn = d.uprn
     AND NOT EXISTS (SELECT 1 FROM ${CHANGES}.lpi c WHERE c.lpi_key = l.lpi_key AND c.applied AND c.seq > d.seq)`;

/**
 * The strongest change per UPRN, as an index into TOUCH_KINDS: a delete
 * outranks a retirement (a BLPU made historic, or given a successor), which
 * outranks an insert, which outranks any other change. A renamed street
 * touches every property with an address on it.
 */
const TOUCHED = `
  WITH t(uprn, rank) AS (
    SELECT uprn, CASE WHEN change = 'D' THEN 3 WHEN logical_status = 8 THEN 2 WHEN change = 'I' THEN 1 ELSE 0 END
      FROM ${CHANGES}.blpu WHERE applied
    UNION ALL SELECT uprn, CASE WHEN change = 'D' THEN 0 ELSE 2 END FROM ${CHANGES}.successor WHERE applied
    ${['lpi', 'cross_reference', 'classification', 'organisation', 'delivery_point'].map((t) => `UNION ALL SELECT uprn, 0 FROM ${CHANGES}.${t} WHERE applied`).join('\n    ')}
    UNION ALL SELECT l.uprn, 0 FROM ${LIVE}.lpi l
     WHERE l.usrn IN (SELECT usrn FROM ${CHANGES}.street WHERE applied UNION SELECT usrn FROM ${CHANGES}.street_descriptor WHERE applied)
  )
  SELECT uprn, max(rank) AS rank FROM t GROUP BY uprn`;

/**
 * The UPRNs that records keyed by something else (an LPI, a cross reference,
 * a classification...) leave when a change moves them to another UPRN: read
 * before the changes are applied, as afterwards only the new UPRN is known.
 * The property left is touched too: its index rows go, and its matched
 * records are looked at again.
 */
const LEFT = `SELECT DISTINCT t.uprn FROM (${Object.values(TABLES)
  .filter((spec) => spec.columns.includes('uprn') && !spec.key.includes('uprn'))
  .map((spec) => `SELECT t.uprn FROM ${staged(spec)} c JOIN ${LIVE}.${spec.table} t ON ${sameKey('t', 'c', spec)} WHERE c.applied AND t.uprn <> c.uprn`)
  .join(' UNION ALL ')}) t`;

/** `supplyDates`: each file's date (header PROCESS_DATE, else the one in its name), in the command's order. */
export async function applyStagedChanges(client: pg.PoolClient, supplyDates: (string | null)[]): Promise<AppliedChanges> {
  const specs = Object.values(TABLES);
  await client.query(MARK_ORPHANS);
  for (const spec of specs) await client.query(decide(spec));
  await client.query(DECIDE_DERIVED);
  const reported = (await client.query<{ recordType: RecordType; file: number; line: number; rule: ChangeRule; key: string; applied: boolean; uprn: number | null }>(REPORTED)).rows
    .map((r) => ({ file: r.file, line: r.line, recordType: r.recordType, key: r.key, rule: r.rule, applied: r.applied, ...(r.uprn !== null ? { uprn: r.uprn } : {}) }));
  const left = (await client.query<{ uprn: number }>(LEFT)).rows.map((r) => r.uprn);
  for (const spec of specs) {
    await client.query(removeDeleted(spec));
    await client.query(writeWritten(spec));
  }
  await client.query(END_LPIS_OF_DELETED, [supplyDates]);
  const touched = new Map((await client.query<{ uprn: number; rank: number }>(TOUCHED)).rows.map((r) => [r.uprn, TOUCH_KINDS[r.rank]!]));
  for (const uprn of left) if (!touched.has(uprn)) touched.set(uprn, 'updated');
  return { touched, reported };
}
