/**
 * Column tables: one declarative table per record type turns a CSV row into a
 * BS 7666 record. Every rule a field can break gives a reject reason naming
 * the record type, the column and the rule, never the value (it may be
 * personal text).
 */
import type { GazetteerRecord } from '../../schemas/bs7666.js';

/**
 * How a column's text becomes a value. `!` means required (empty is a
 * reject); without it an empty field becomes null. Identifiers have kinds of
 * their own (shared/reference/identifiers.md): a UPRN of 13 digits, or 0, is
 * no UPRN, and taken as a number it would key a property that cannot exist.
 * Other whole numbers must fit their column (`small`: smallint, `int`:
 * integer), so that COPY never fails on a value without naming its line.
 */
export type ColumnKind =
  | 'int' | 'small' | 'num' | 'text' | 'text!' | 'date' | 'status!'
  | 'uprn' | 'uprn!' | 'usrn!' | 'udprn!';

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

const DIGITS = /^\d+$/;
const NUM = /^-?(?:\d+\.?\d*|\.\d+)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0);
  return d <= max;
}

/** The number written by v[from, to) when all digits, else -1. */
function digits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const UK = /^(\d{2})\/(\d{2})\/(\d{4})$/;

/** ISO `YYYY-MM-DD` from ISO, `YYYYMMDD` or `DD/MM/YYYY`; null when not a real calendar date. */
export function toIsoDate(v: string): string | null {
  if (v.length === 10 && v.charCodeAt(4) === 45 && v.charCodeAt(7) === 45) {
    // The common case, without a regex match array.
    const y = digits(v, 0, 4);
    const m = digits(v, 5, 7);
    const d = digits(v, 8, 10);
    return y >= 0 && m >= 0 && d >= 0 && validDate(y, m, d) ? v : null;
  }
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

export type Converted =
  | { ok: true; record: GazetteerRecord }
  | { ok: false; reason: string }
  /**
   * A well-formed record the hub does not hold (DTF LOGICAL_STATUS 9,
   * rejected). `withdrawn` is it as a delete of its key: in a change-only
   * file, a record that becomes rejected takes what the hub held away.
   */
  | { ok: 'skip'; reason: string; withdrawn?: GazetteerRecord };

/** A row the compiled converter refused, told apart from record data by its class. */
class Refusal {
  constructor(
    readonly ok: false | 'skip',
    readonly reason: string,
    readonly data: Record<string, unknown> | null = null,
  ) {}
}

/** Why a value failed, as returned by the value readers below. */
const BAD = Symbol('bad value');
const REJECTED_STATUS = Symbol('logical status 9');

/** A whole number written with at most `maxDigits` digits (leading zeros count), from `min` to `max`. */
function whole(v: string, min: number, max: number, maxDigits: number): number | typeof BAD {
  if (v.length > maxDigits || !DIGITS.test(v)) return BAD;
  const n = Number(v);
  return n >= min && n <= max ? n : BAD;
}

const MAX_UPRN = 999_999_999_999;
const MAX_USRN = 99_999_999;
/** Royal Mail's UDPRN: eight digits. */
const MAX_UDPRN = 99_999_999;
const MAX_INTEGER = 2_147_483_647;
const MAX_SMALLINT = 32_767;

const readers = {
  uprn: (v: string): number | typeof BAD => whole(v, 1, MAX_UPRN, 12),
  usrn: (v: string): number | typeof BAD => whole(v, 1, MAX_USRN, 8),
  udprn: (v: string): number | typeof BAD => whole(v, 1, MAX_UDPRN, 8),
  int: (v: string): number | typeof BAD => whole(v, 0, MAX_INTEGER, Infinity),
  small: (v: string): number | typeof BAD => whole(v, 0, MAX_SMALLINT, Infinity),
  num: (v: string): number | typeof BAD => (NUM.test(v) ? Number(v) : BAD),
  date: (v: string): string | typeof BAD => toIsoDate(v) ?? BAD,
  status: (v: string): number | typeof BAD | typeof REJECTED_STATUS =>
    v === '1' || v === '3' || v === '6' || v === '8' ? Number(v) : v === '9' ? REJECTED_STATUS : BAD,
};

const RULES: Record<ColumnKind, string> = {
  int: `not a whole number from 0 to ${MAX_INTEGER}`, small: `not a whole number from 0 to ${MAX_SMALLINT}`,
  num: 'not a number', date: 'not a valid date (YYYY-MM-DD)', 'status!': 'not one of 1, 3, 6, 8', text: '', 'text!': '',
  uprn: `not a UPRN (a whole number from 1 to ${MAX_UPRN}, at most 12 digits)`, 'uprn!': `not a UPRN (a whole number from 1 to ${MAX_UPRN}, at most 12 digits)`,
  'usrn!': `not a USRN (a whole number from 1 to ${MAX_USRN}, at most 8 digits)`,
  'udprn!': `not a UDPRN (a whole number from 1 to ${MAX_UDPRN}, at most 8 digits)`,
};

type Compiled = (row: readonly string[]) => Record<string, unknown> | Refusal;

const compiled = new WeakMap<AnyRecordTable, Compiled>();

/**
 * Turn a table into one function that builds the record as a single object
 * literal: the same table then always makes objects of one shape, several
 * times faster than filling an object field by field.
 */
function compile(t: AnyRecordTable): Compiled {
  const fail = (i: number, rule: string) => new Refusal(false, `record ${t.type} field ${t.columns[i]![0]}: ${rule}`);
  const skip = (reason: string, data: Record<string, unknown>) => new Refusal('skip', reason, data);
  const lines: string[] = ['let v, x, rejected = null;'];
  const props: string[] = [];
  t.columns.forEach((col, i) => {
    const [, field, kind] = col as readonly [string, string?, ColumnKind?];
    if (field === undefined || kind === undefined) return;
    if (!/^[A-Za-z]\w*$/.test(field)) throw new Error(`column table ${t.type}: bad field name`);
    const name = `f${i}`;
    props.push(`${field}: ${name}`);
    lines.push(`v = row[${i + FRAMING_FIELDS}] ?? '';`);
    const onEmpty = kind.endsWith('!') ? `return fail(${i}, 'required but empty');` : `${name} = null;`;
    const base = kind.replace('!', '');
    if (base === 'text') {
      // PostgreSQL text cannot hold U+0000: refused here, the line named, rather than failing the load at COPY.
      lines.push(`let ${name}; if (v === '') { ${onEmpty} } else if (v.includes('\\0')) return fail(${i}, 'contains a NUL character (U+0000)'); else ${name} = v;`);
    } else {
      lines.push(
        `let ${name}; if (v === '') { ${onEmpty} } else { x = readers.${base}(v);`,
        `  if (x === BAD) return fail(${i}, ${JSON.stringify(RULES[kind])});`,
        // Read on to the end, so that the key of the rejected record is known; 8 stands in for 9.
        `  if (x === REJECTED_STATUS) { rejected = ${JSON.stringify(`record ${t.type} field ${col[0]}: 9 (rejected) is not held`)}; x = 8; }`,
        `  ${name} = x; }`,
      );
    }
  });
  for (const [field, value] of Object.entries(t.fixed)) {
    if (!/^[A-Za-z]\w*$/.test(field)) throw new Error(`column table ${t.type}: bad field name`);
    props.push(`${field}: ${JSON.stringify(value)}`);
  }
  lines.push(`const data = { ${props.join(', ')} };`, 'return rejected === null ? data : skip(rejected, data);');
  const make = new Function('readers', 'BAD', 'REJECTED_STATUS', 'fail', 'skip', `return (row) => { ${lines.join('\n')} };`);
  return make(readers, BAD, REJECTED_STATUS, fail, skip) as Compiled;
}

/**
 * Convert one row (framing included) with a table. The caller has already
 * checked the field count.
 */
export function convertRow(t: AnyRecordTable, row: readonly string[]): Converted {
  const change = row[1] ?? '';
  if (change !== 'I' && change !== 'U' && change !== 'D') return { ok: false, reason: `record ${t.type} field CHANGE_TYPE: not one of I, U, D` };
  let fn = compiled.get(t);
  if (!fn) {
    fn = compile(t);
    compiled.set(t, fn);
  }
  const data = fn(row);
  if (data instanceof Refusal) {
    if (data.ok === false) return { ok: false, reason: data.reason };
    const withdrawn = data.data && ({ type: t.type, change: 'D', data: data.data } as unknown as GazetteerRecord);
    return withdrawn ? { ok: 'skip', reason: data.reason, withdrawn } : { ok: 'skip', reason: data.reason };
  }
  // The table's fields are typed against the record, so the shape holds.
  return { ok: true, record: { type: t.type, change, data } as unknown as GazetteerRecord };
}
