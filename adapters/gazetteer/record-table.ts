/**
 * Column tables: one declarative table per record type turns a CSV row into a
 * BS 7666 record. Every rule a field can break gives a reject reason naming
 * the record type, the column and the rule, never the value (it may be
 * personal text).
 */
import type { GazetteerRecord } from '../../schemas/bs7666.js';

/**
 * How a column's text becomes a value. `!` means required (empty is a
 * reject); without it an empty field becomes null.
 */
export type ColumnKind = 'int' | 'int!' | 'num' | 'text' | 'text!' | 'date' | 'status!';

/** [column name as in the specification, record field it fills, kind]; unmapped columns have only a name. */
export type Column<T> = readonly [name: string] | readonly [name: string, field: keyof T & string, kind: ColumnKind];

type DataOf<N extends GazetteerRecord['type']> = Extract<GazetteerRecord, { type: N }>['data'];

export interface RecordTable<N extends GazetteerRecord['type']> {
  readonly type: N;
  /** Columns after RECORD_IDENTIFIER, CHANGE_TYPE, PRO_ORDER, in file order. */
  readonly columns: readonly Column<DataOf<N>>[];
  /** Record fields this format does not carry. */
  readonly fixed: Partial<DataOf<N>>;
}

/** A table for any one record type. */
export type AnyRecordTable = { [N in GazetteerRecord['type']]: RecordTable<N> }[GazetteerRecord['type']];

export function table<N extends GazetteerRecord['type']>(
  type: N,
  columns: readonly Column<DataOf<N>>[],
  fixed: Partial<DataOf<N>> = {},
): RecordTable<N> {
  return { type, columns, fixed };
}

/** Fields before the table's columns: RECORD_IDENTIFIER, CHANGE_TYPE, PRO_ORDER. */
export const FRAMING_FIELDS = 3;

export function fieldCount(t: AnyRecordTable): number {
  return FRAMING_FIELDS + t.columns.length;
}

const INT = /^-?\d+$/;
const NUM = /^-?(?:\d+\.?\d*|\.\d+)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0);
  return d <= max;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const UK = /^(\d{2})\/(\d{2})\/(\d{4})$/;

/** ISO `YYYY-MM-DD` from ISO, `YYYYMMDD` or `DD/MM/YYYY`; null when not a real calendar date. */
export function toIsoDate(v: string): string | null {
  let m = ISO.exec(v) ?? COMPACT.exec(v);
  let y: string, mo: string, d: string;
  if (m) {
    [, y = '', mo = '', d = ''] = m;
  } else {
    m = UK.exec(v);
    if (!m) return null;
    [, d = '', mo = '', y = ''] = m;
  }
  return validDate(Number(y), Number(mo), Number(d)) ? `${y}-${mo}-${d}` : null;
}

const CHANGE_TYPES = new Set(['I', 'U', 'D']);
const LOGICAL_STATUSES = new Set([1, 3, 6, 8]);

export type Converted =
  | { ok: true; record: GazetteerRecord }
  | { ok: false; reason: string }
  /** A well-formed record the hub does not hold (DTF LOGICAL_STATUS 9, rejected). */
  | { ok: 'skip'; reason: string };

/**
 * Convert one row (framing included) with a table. The caller has already
 * checked the field count.
 */
export function convertRow(t: AnyRecordTable, row: readonly string[]): Converted {
  const change = row[1] ?? '';
  if (!CHANGE_TYPES.has(change)) return { ok: false, reason: `record ${t.type} field CHANGE_TYPE: not one of I, U, D` };
  const data: Record<string, unknown> = { ...t.fixed };
  const cols = t.columns;
  for (let i = 0; i < cols.length; i++) {
    const col: readonly string[] = cols[i]!;
    const field = col[1];
    if (field === undefined) continue;
    const v = row[i + FRAMING_FIELDS] ?? '';
    const kind = col[2] as ColumnKind;
    if (v === '') {
      if (kind.endsWith('!')) return { ok: false, reason: `record ${t.type} field ${col[0]}: required but empty` };
      data[field] = null;
      continue;
    }
    switch (kind) {
      case 'int':
      case 'int!':
        if (!INT.test(v)) return { ok: false, reason: `record ${t.type} field ${col[0]}: not an integer` };
        data[field] = Number(v);
        break;
      case 'num':
        if (!NUM.test(v)) return { ok: false, reason: `record ${t.type} field ${col[0]}: not a number` };
        data[field] = Number(v);
        break;
      case 'date': {
        const iso = toIsoDate(v);
        if (iso === null) return { ok: false, reason: `record ${t.type} field ${col[0]}: not a valid date (YYYY-MM-DD)` };
        data[field] = iso;
        break;
      }
      case 'status!': {
        const n = Number(v);
        if (n === 9) return { ok: 'skip', reason: `record ${t.type} field ${col[0]}: 9 (rejected) is not held` };
        if (!LOGICAL_STATUSES.has(n)) return { ok: false, reason: `record ${t.type} field ${col[0]}: not one of 1, 3, 6, 8` };
        data[field] = n;
        break;
      }
      default:
        data[field] = v;
    }
  }
  // The table's field list is typed against the record, so the shape holds.
  return { ok: true, record: { type: t.type, change, data } as unknown as GazetteerRecord };
}
