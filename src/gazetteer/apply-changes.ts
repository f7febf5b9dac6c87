/**
 * Applies change-only records (I/U/D, in file order) to the live gazetteer
 * inside the caller's transaction, and says which UPRNs changed and how, so
 * the address index can be rebuilt for them and matched records re-examined.
 */
import type pg from 'pg';
import type { GazetteerRecord } from '../../schemas/bs7666.js';
import { LIVE } from './sql.js';
import { rowOf, TABLES, uprnOf, type RecordType } from './tables.js';

export type TouchKind = 'inserted' | 'updated' | 'deleted' | 'retired';

const upsertSql = new Map<RecordType, string>();
const deleteSql = new Map<RecordType, string>();

function upsert(type: RecordType): string {
  let sql = upsertSql.get(type);
  if (!sql) {
    const { table, columns, key } = TABLES[type];
    const params = columns.map((_, i) => `$${i + 1}`).join(', ');
    const updates = columns.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    // An I for a row that exists, or a U for one that does not, is applied as the supplier meant: the row ends up as given.
    sql = `INSERT INTO ${LIVE}.${table} (${columns.join(', ')}) VALUES (${params}) ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates}`;
    upsertSql.set(type, sql);
  }
  return sql;
}

function remove(type: RecordType): string {
  let sql = deleteSql.get(type);
  if (!sql) {
    const { table, key } = TABLES[type];
    sql = `DELETE FROM ${LIVE}.${table} WHERE ${key.map((k, i) => `${k} = $${i + 1}`).join(' AND ')}`;
    deleteSql.set(type, sql);
  }
  return sql;
}

export class ChangeApplier {
  /** UPRN → strongest change seen (a delete or retirement outranks an update). */
  readonly touched = new Map<number, TouchKind>();
  private readonly changedStreets = new Set<number>();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly processDate: string | null,
  ) {}

  async apply(record: GazetteerRecord): Promise<void> {
    const spec = TABLES[record.type];
    const values = rowOf(record);
    if (record.change === 'D') {
      const keyValues = spec.key.map((k) => values[spec.columns.indexOf(k)]);
      await this.client.query(remove(record.type), keyValues);
      if (record.type === 21) {
        // A deleted BLPU ends its LPIs: they stay as history but leave the address index.
        await this.client.query(
          `UPDATE ${LIVE}.lpi SET logical_status = 8, end_date = coalesce(end_date, $2::date, current_date) WHERE uprn = $1`,
          [record.data.uprn, this.processDate],
        );
      }
    } else {
      const existed = record.type === 21 && (await this.client.query(`SELECT 1 FROM ${LIVE}.blpu WHERE uprn = $1`, [record.data.uprn])).rowCount! > 0;
      await this.client.query(upsert(record.type), values);
      if (record.type === 21 && !existed) this.touch(record.data.uprn, 'inserted');
    }
    this.note(record);
  }

  private note(record: GazetteerRecord): void {
    if (record.type === 11 || record.type === 15) {
      this.changedStreets.add(record.data.usrn);
      return;
    }
    const uprn = uprnOf(record)!;
    if (record.type === 21 && record.change === 'D') this.touch(uprn, 'deleted');
    else if (record.type === 21 && record.data.logicalStatus === 8) this.touch(uprn, 'retired');
    else if (record.type === 30 && record.change !== 'D') this.touch(uprn, 'retired');
    else this.touch(uprn, 'updated');
  }

  private touch(uprn: number, kind: TouchKind): void {
    const rank: Record<TouchKind, number> = { updated: 0, inserted: 1, retired: 2, deleted: 3 };
    const before = this.touched.get(uprn);
    if (before === undefined || rank[kind] > rank[before]) this.touched.set(uprn, kind);
  }

  /** A renamed street touches every property on it. */
  async expandStreets(): Promise<void> {
    if (this.changedStreets.size === 0) return;
    const { rows } = await this.client.query<{ uprn: number }>(
      `SELECT DISTINCT uprn FROM ${LIVE}.lpi WHERE usrn = ANY($1::bigint[])`,
      [[...this.changedStreets]],
    );
    for (const r of rows) this.touch(r.uprn, 'updated');
  }
}
