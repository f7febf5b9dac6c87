/**
 * Identifiers in gazetteer lines follow shared/reference/identifiers.md: a
 * UPRN is 1 to 12 digits (1..999999999999), a USRN 1 to 8 digits; a UDPRN
 * is Royal Mail's 8 digits. They used to pass a generic integer check, so a
 * 13-digit UPRN, 0 or -5 keyed a property that cannot exist. Other whole
 * numbers must fit their column, or COPY failed the load naming no line.
 */
import { describe, expect, it } from 'vitest';
import { ABP, DTF, csv, fields, read, recordsOf, rejectsOf } from './build.js';

const header = (version: string) => fields(ABP[10], 10, {
  CUSTODIAN_NAME: 'TEST COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: '2024-03-01', VOLUME_NUMBER: 1,
  ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00', VERSION: version, FILE_TYPE: 'C',
});
const trailer = (count: number) => fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: 0, RECORD_COUNT: count, ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00' });

type Values = Record<string, string | number>;
/** A valid line of each record type, by its identifier columns. */
const ABP_LINES: Record<number, Values> = {
  11: { USRN: 7001, RECORD_TYPE: 1, STATE: 2 },
  15: { USRN: 7001, STREET_DESCRIPTION: 'MILL LANE', LANGUAGE: 'ENG' },
  21: { UPRN: 100001, LOGICAL_STATUS: 1, BLPU_STATE: 2, PARENT_UPRN: 100000, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999 },
  23: { UPRN: 100001, XREF_KEY: 'X1', CROSS_REFERENCE: 'CTR1', SOURCE: '7666VC' },
  24: { UPRN: 100001, LPI_KEY: 'L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: 2, USRN: 7001 },
  28: { UPRN: 100001, UDPRN: 12345678, POSTCODE: 'ZZ1 1AB', BUILDING_NUMBER: 2 },
  30: { UPRN: 100001, SUCC_KEY: 'S1', SUCCESSOR: 100002 },
  31: { UPRN: 100001, ORG_KEY: 'O1', ORGANISATION: 'ACME' },
  32: { UPRN: 100001, CLASS_KEY: 'C1', CLASSIFICATION_CODE: 'RD04' },
};
const DTF_LINES: Record<number, Values> = {
  11: { USRN: 7001, RECORD_TYPE: 1, STATE: 2 },
  15: { USRN: 7001, STREET_DESCRIPTOR: 'MILL LANE', LANGUAGE: 'ENG' },
  21: { UPRN: 100001, LOGICAL_STATUS: 1, BLPU_STATE: 2, PARENT_UPRN: 100000, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999 },
  23: { UPRN: 100001, XREF_KEY: 'X1', CROSS_REFERENCE: 'CTR1', SOURCE: '7666VC' },
  24: { UPRN: 100001, LPI_KEY: 'L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: 2, USRN: 7001 },
};

const UPRN_RULE = 'not a UPRN (a whole number from 1 to 999999999999, at most 12 digits)';
const USRN_RULE = 'not a USRN (a whole number from 1 to 99999999, at most 8 digits)';
const UDPRN_RULE = 'not a UDPRN (a whole number from 1 to 99999999, at most 8 digits)';

/** [record type, column, rule] of every identifier column. */
const ABP_IDENTIFIERS: [number, string, string][] = [
  [11, 'USRN', USRN_RULE], [15, 'USRN', USRN_RULE], [21, 'UPRN', UPRN_RULE], [21, 'PARENT_UPRN', UPRN_RULE],
  [23, 'UPRN', UPRN_RULE], [24, 'UPRN', UPRN_RULE], [24, 'USRN', USRN_RULE], [28, 'UPRN', UPRN_RULE], [28, 'UDPRN', UDPRN_RULE],
  [30, 'UPRN', UPRN_RULE], [30, 'SUCCESSOR', UPRN_RULE], [31, 'UPRN', UPRN_RULE], [32, 'UPRN', UPRN_RULE],
];
const DTF_IDENTIFIERS: [number, string, string][] = [
  [11, 'USRN', USRN_RULE], [15, 'USRN', USRN_RULE], [21, 'UPRN', UPRN_RULE], [21, 'PARENT_UPRN', UPRN_RULE],
  [23, 'UPRN', UPRN_RULE], [24, 'UPRN', UPRN_RULE], [24, 'USRN', USRN_RULE],
];

/** Values that are no identifier: too many digits, zero, negative, and forms a number parser would take. */
const tooLong = (rule: string) => (rule === UPRN_RULE ? '9999999999999' : '999999999');
const BAD = ['0', '-5', '+5', '1e5', '12.0', '0x10', ' 7'];

async function readLines(version: string, lines: string[][]) {
  return read(csv([header(version), ...lines, trailer(lines.length)]), 'changes.csv');
}

describe.each([
  ['AddressBase Premium', '1.0', ABP as Record<number, readonly string[]>, ABP_LINES, ABP_IDENTIFIERS],
  ['DTF 7.3', '7.3', DTF as Record<number, readonly string[]>, DTF_LINES, DTF_IDENTIFIERS],
] as const)('identifier columns in %s lines', (_name, version, columns, lines, identifiers) => {
  const line = (type: number, values: Values, change = 'U') => fields(columns[type]!, type, { ...lines[type], ...values }, change);

  it('rejects a UPRN, USRN or UDPRN out of its range, naming record type, column and rule, never the value; takes the smallest and largest', async () => {
    const field = { UPRN: 'uprn', PARENT_UPRN: 'parentUprn', USRN: 'usrn', UDPRN: 'udprn', SUCCESSOR: 'successor' } as const;
    for (const [type, column, rule] of identifiers) {
      const max = rule === UPRN_RULE ? 999_999_999_999 : 99_999_999;
      const digits = rule === UPRN_RULE ? 12 : 8;
      const bad = [tooLong(rule), ...BAD];
      // Leading zeros count as digits, as in the API's UPRN parameter.
      const good = ['1', String(max), '7'.padStart(digits, '0')];
      const events = await readLines(version, [...bad, ...good].map((v) => line(type, { [column]: v })));
      expect(rejectsOf(events), `${type} ${column}`).toEqual(bad.map((_v, i) => ({
        kind: 'reject', recordType: String(type), line: i + 2, reason: `record ${type} field ${column}: ${rule}`,
      })));
      expect(JSON.stringify(rejectsOf(events))).not.toContain(tooLong(rule));
      const values = recordsOf(events).filter((e) => !e.derived).map((e) => (e.record.data as unknown as Record<string, unknown>)[field[column as keyof typeof field]]);
      expect(values, `${type} ${column}`).toEqual([1, max, 7]);
    }
  });

  it('keeps other whole numbers within their column, so that COPY never fails on one', async () => {
    const events = await readLines(version, [
      line(21, { BLPU_STATE: 32768 }),
      line(21, { RPC: -1 }),
      line(21, { LOCAL_CUSTODIAN_CODE: 2147483648 }),
      line(24, { PAO_START_NUMBER: 99999999999 }),
      line(24, { PAO_START_NUMBER: 0, SAO_START_NUMBER: 2147483647 }),
      line(11, { STATE: 32767 }),
    ]);
    expect(rejectsOf(events).map((e) => [e.line, e.reason])).toEqual([
      [2, 'record 21 field BLPU_STATE: not a whole number from 0 to 32767'],
      [3, 'record 21 field RPC: not a whole number from 0 to 32767'],
      [4, 'record 21 field LOCAL_CUSTODIAN_CODE: not a whole number from 0 to 2147483647'],
      [5, 'record 24 field PAO_START_NUMBER: not a whole number from 0 to 2147483647'],
    ]);
    expect(recordsOf(events).filter((e) => !e.derived).map((e) => e.line)).toEqual([6, 7]);
  });
});
