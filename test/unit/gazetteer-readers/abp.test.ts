import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import {
  Blpu, Classification, CrossReference, DeliveryPoint, Lpi, Organisation, Street, StreetDescriptor, Successor,
} from '../../../schemas/bs7666.js';
import { ABP, csv, fields, read, recordsOf, rejectsOf } from './build.js';

const header = (fileType = 'F') => fields(ABP[10], 10, {
  CUSTODIAN_NAME: 'TEST COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: '2024-03-01', VOLUME_NUMBER: 1,
  ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00', VERSION: '1.0', FILE_TYPE: fileType,
});
const trailer = (count: number) => fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: 0, RECORD_COUNT: count, ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00' });

const street = fields(ABP[11], 11, {
  USRN: 20000001, RECORD_TYPE: 1, SWA_ORG_REF_NAMING: 9999, STATE: 2, STATE_DATE: '2001-01-01', VERSION: 1,
  STREET_START_DATE: '2001-02-03', STREET_END_DATE: '2030-12-31', LAST_UPDATE_DATE: '2020-01-01', RECORD_ENTRY_DATE: '2001-02-03',
  STREET_START_X: '400001.5', STREET_START_Y: 300002, STREET_START_LAT: '51.1', STREET_START_LONG: '-1.1',
  STREET_END_X: 400003, STREET_END_Y: '300004.25', STREET_END_LAT: '51.2', STREET_END_LONG: '-1.2', STREET_TOLERANCE: 10,
});
const descriptor = fields(ABP[15], 15, {
  USRN: 20000001, STREET_DESCRIPTION: 'MILL LANE, "THE OLD ROAD"', LOCALITY_NAME: 'NORTHEND', TOWN_NAME: 'ANYTOWN',
  ADMINSTRATIVE_AREA: 'ANYSHIRE', LANGUAGE: 'ENG', START_DATE: '2001-02-03',
}, 'I', 2);
const blpu = fields(ABP[21], 21, {
  UPRN: 100000000001, LOGICAL_STATUS: 1, BLPU_STATE: 2, BLPU_STATE_DATE: '2005-05-05', PARENT_UPRN: 100000000000,
  X_COORDINATE: '400010.12', Y_COORDINATE: '300020.34', LATITUDE: '51.12345', LONGITUDE: '-1.54321', RPC: 1,
  LOCAL_CUSTODIAN_CODE: 9999, COUNTRY: 'E', START_DATE: '2005-05-05', END_DATE: '', LAST_UPDATE_DATE: '2020-01-01',
  ENTRY_DATE: '2005-05-05', ADDRESSBASE_POSTAL: 'D', POSTCODE_LOCATOR: 'AB1 2CD', MULTI_OCC_COUNT: 0,
}, 'I', 3);
const xref = fields(ABP[23], 23, {
  UPRN: 100000000001, XREF_KEY: '9999X000000001', CROSS_REFERENCE: 'VOA-12345', VERSION: 1, SOURCE: '7666VC',
  START_DATE: '2010-01-01', END_DATE: '2019-12-31',
}, 'I', 4);
const lpi = fields(ABP[24], 24, {
  UPRN: 100000000001, LPI_KEY: '9999L000000001', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2005-05-05',
  END_DATE: '', LAST_UPDATE_DATE: '2020-01-01', ENTRY_DATE: '2005-05-05', SAO_START_NUMBER: 3, SAO_START_SUFFIX: 'A',
  SAO_END_NUMBER: 4, SAO_END_SUFFIX: 'B', SAO_TEXT: 'FLAT', PAO_START_NUMBER: 12, PAO_START_SUFFIX: 'C',
  PAO_END_NUMBER: 14, PAO_END_SUFFIX: 'D', PAO_TEXT: 'ROSE COURT', USRN: 20000001, USRN_MATCH_INDICATOR: 1,
  AREA_NAME: 'AREA', LEVEL: '1', OFFICIAL_FLAG: 'Y',
}, 'I', 5);
const delivery = fields(ABP[28], 28, {
  UPRN: 100000000001, UDPRN: 12345678, ORGANISATION_NAME: 'ACME LTD', DEPARTMENT_NAME: 'SALES', SUB_BUILDING_NAME: 'FLAT 3A',
  BUILDING_NAME: 'ROSE COURT', BUILDING_NUMBER: 12, DEPENDENT_THOROUGHFARE: 'DT', THOROUGHFARE: 'MILL LANE',
  DOUBLE_DEPENDENT_LOCALITY: 'DDL', DEPENDENT_LOCALITY: 'NORTHEND', POST_TOWN: 'ANYTOWN', POSTCODE: 'AB1 2CD',
  POSTCODE_TYPE: 'S', PROCESS_DATE: '2024-01-01', START_DATE: '2012-01-01',
}, 'I', 6);
const successor = fields(ABP[30], 30, {
  UPRN: 100000000009, SUCC_KEY: '9999S000000001', START_DATE: '2015-01-01', END_DATE: '2016-01-01', SUCCESSOR: 100000000001,
}, 'I', 7);
const org = fields(ABP[31], 31, {
  UPRN: 100000000001, ORG_KEY: '9999O000000001', ORGANISATION: 'ACME LTD', LEGAL_NAME: 'ACME LIMITED', START_DATE: '2012-01-01',
}, 'I', 8);
const classification = fields(ABP[32], 32, {
  UPRN: 100000000001, CLASS_KEY: '9999C000000001', CLASSIFICATION_CODE: 'RD06', CLASS_SCHEME: 'AddressBase Premium Classification Scheme',
  SCHEME_VERSION: '1.0', START_DATE: '2005-05-05',
}, 'I', 9);
const metadata = fields(ABP[29], 29, { GAZ_NAME: 'TEST', LANGUAGE: 'ENG' });

const allTypes = [street, descriptor, blpu, xref, lpi, delivery, successor, org, classification, metadata];

describe('readGazetteer: AddressBase Premium, mixed record types', () => {
  it('maps every column of every record type the hub holds', async () => {
    const events = await read(csv([header(), ...allTypes, trailer(allTypes.length)]), 'AddressBasePremium_FULL_2024-03-01_001.csv');
    expect(rejectsOf(events)).toEqual([]);
    const byType = new Map(recordsOf(events).map((e) => [e.record.type, e]));
    expect([...byType.keys()]).toEqual([11, 15, 21, 23, 24, 28, 30, 31, 32]);
    expect(byType.get(11)?.line).toBe(2);

    expect(byType.get(11)?.record.data).toEqual({
      usrn: 20000001, recordType: 1, state: 2, startDate: '2001-02-03', endDate: '2030-12-31',
      startX: 400001.5, startY: 300002, endX: 400003, endY: 300004.25,
    });
    expect(byType.get(15)?.record.data).toEqual({
      usrn: 20000001, description: 'MILL LANE, "THE OLD ROAD"', locality: 'NORTHEND', town: 'ANYTOWN', administrativeArea: 'ANYSHIRE', language: 'ENG',
    });
    expect(byType.get(21)?.record.data).toEqual({
      uprn: 100000000001, logicalStatus: 1, state: 2, parentUprn: 100000000000, x: 400010.12, y: 300020.34,
      latitude: 51.12345, longitude: -1.54321, rpc: 1, localCustodianCode: 9999, startDate: '2005-05-05', endDate: null,
      postcodeLocator: 'AB1 2CD', blpuClass: null,
    });
    expect(byType.get(23)?.record.data).toEqual({
      uprn: 100000000001, xrefKey: '9999X000000001', crossReference: 'VOA-12345', source: '7666VC', startDate: '2010-01-01', endDate: '2019-12-31',
    });
    expect(byType.get(24)?.record.data).toEqual({
      uprn: 100000000001, lpiKey: '9999L000000001', language: 'ENG', logicalStatus: 1, startDate: '2005-05-05', endDate: null,
      saoStartNumber: 3, saoStartSuffix: 'A', saoEndNumber: 4, saoEndSuffix: 'B', saoText: 'FLAT',
      paoStartNumber: 12, paoStartSuffix: 'C', paoEndNumber: 14, paoEndSuffix: 'D', paoText: 'ROSE COURT',
      usrn: 20000001, level: '1', officialFlag: 'Y', postcode: null, postTown: null,
    });
    expect(byType.get(28)?.record.data).toEqual({
      uprn: 100000000001, udprn: 12345678, organisationName: 'ACME LTD', subBuildingName: 'FLAT 3A', buildingName: 'ROSE COURT',
      buildingNumber: 12, thoroughfare: 'MILL LANE', dependentLocality: 'NORTHEND', postTown: 'ANYTOWN', postcode: 'AB1 2CD',
    });
    expect(byType.get(30)?.record.data).toEqual({
      uprn: 100000000009, succKey: '9999S000000001', successor: 100000000001, startDate: '2015-01-01', endDate: '2016-01-01',
    });
    expect(byType.get(31)?.record.data).toEqual({
      uprn: 100000000001, orgKey: '9999O000000001', organisation: 'ACME LTD', legalName: 'ACME LIMITED', startDate: '2012-01-01', endDate: null,
    });
    expect(byType.get(32)?.record.data).toEqual({
      uprn: 100000000001, classKey: '9999C000000001', code: 'RD06', scheme: 'AddressBase Premium Classification Scheme', startDate: '2005-05-05', endDate: null,
    });
  });

  it('produces records that satisfy the shared BS 7666 schemas', async () => {
    const schemas = { 11: Street, 15: StreetDescriptor, 21: Blpu, 23: CrossReference, 24: Lpi, 28: DeliveryPoint, 30: Successor, 31: Organisation, 32: Classification };
    const events = await read(csv([header(), ...allTypes, trailer(allTypes.length)]));
    const records = recordsOf(events);
    expect(records).toHaveLength(9);
    for (const { record } of records) expect(Value.Check(schemas[record.type], record.data), `record ${record.type}`).toBe(true);
  });

  it('gives header first, skips metadata, reads the trailer and ends', async () => {
    const events = await read(csv([header(), ...allTypes, trailer(allTypes.length)]));
    expect(events[0]).toMatchObject({ kind: 'header', format: 'abp', fileType: 'FULL', fileTypeFrom: 'header', line: 1 });
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([{ kind: 'skipped', recordType: '29', line: 11, reason: 'record type not used by the hub' }]);
    expect(events.at(-2)).toEqual({ kind: 'trailer', recordCount: 10, nextVolumeNumber: 0, line: 12 });
    expect(events.at(-1)).toEqual({ kind: 'end', lines: 12, trailerSeen: true, finalNewline: true });
  });

  it('carries I, U and D change types and rejects any other', async () => {
    const rows = ['I', 'U', 'D', 'X'].map((c, i) => fields(ABP[32], 32, { UPRN: 1 + i, CLASS_KEY: `K${i}`, CLASSIFICATION_CODE: 'RD' }, c));
    const events = await read(csv([header('C'), ...rows, trailer(4)]));
    expect(events[0]).toMatchObject({ fileType: 'COU', fileTypeFrom: 'header' });
    expect(recordsOf(events).map((e) => e.record.change)).toEqual(['I', 'U', 'D']);
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '32', line: 5, reason: 'record 32 field CHANGE_TYPE: not one of I, U, D' }]);
  });

  it('reads LF files and files with a BOM the same as CRLF ones', async () => {
    const rows = [header(), street, descriptor, blpu, trailer(3)];
    const crlf = await read(csv(rows));
    expect(await read(csv(rows, '\n'))).toEqual(crlf);
    expect(await read('\uFEFF' + csv(rows))).toEqual(crlf);
    expect(await read(Buffer.from('\uFEFF' + csv(rows), 'utf8'))).toEqual(crlf);
  });

  it('reports malformed lines with line number and reason, never the value, and reads on', async () => {
    const badUprn = [...blpu];
    badUprn[3] = 'JOHN SMITH';
    const badDate = fields(ABP[24], 24, { UPRN: 1, LPI_KEY: 'K', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2023-02-30', USRN: 2 });
    const badStatus = fields(ABP[24], 24, { UPRN: 1, LPI_KEY: 'K', LANGUAGE: 'ENG', LOGICAL_STATUS: 2, USRN: 2 });
    const noUsrn = fields(ABP[24], 24, { UPRN: 1, LPI_KEY: 'K', LANGUAGE: 'ENG', LOGICAL_STATUS: 1 });
    const short = blpu.slice(0, -1);
    // PostgreSQL text cannot hold U+0000; without this rule one such byte failed the whole load at COPY, naming no line.
    const nul = fields(ABP[15], 15, { USRN: 3, STREET_DESCRIPTION: 'MILL\u0000LANE', TOWN_NAME: 'NORTHBY', ADMINSTRATIVE_AREA: 'NORTHBY', LANGUAGE: 'ENG' });
    const text = csv([header(), street, badUprn, short, badDate, badStatus, noUsrn, nul, descriptor, trailer(8)]) + 'JUNK LINE WITH A NAME\r\n';
    const events = await read(text);
    expect(rejectsOf(events).map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 3, reason: 'record 21 field UPRN: not a UPRN (a whole number from 1 to 999999999999, at most 12 digits)' },
      { line: 4, reason: 'record 21: expected 22 fields, got 21' },
      { line: 5, reason: 'record 24 field START_DATE: not a valid date (YYYY-MM-DD)' },
      { line: 6, reason: 'record 24 field LOGICAL_STATUS: not one of 1, 3, 6, 8' },
      { line: 7, reason: 'record 24 field USRN: required but empty' },
      { line: 8, reason: 'record 15 field STREET_DESCRIPTION: contains a NUL character (U+0000)' },
      { line: 11, reason: 'RECORD_IDENTIFIER: not a record type number' },
    ]);
    expect(JSON.stringify(events)).not.toContain('JOHN');
    expect(JSON.stringify(rejectsOf(events))).not.toContain('JUNK');
    expect(recordsOf(events).map((e) => [e.record.type, e.line])).toEqual([[11, 2], [15, 9]]);
  });

  it('accepts compact and UK dates and writes them as ISO', async () => {
    const row = fields(ABP[32], 32, { UPRN: 1, CLASS_KEY: 'K', CLASSIFICATION_CODE: 'RD', START_DATE: '20200229', END_DATE: '31/12/2021' });
    const [rec] = recordsOf(await read(csv([header(), row, trailer(1)])));
    expect(rec?.record.data).toMatchObject({ startDate: '2020-02-29', endDate: '2021-12-31' });
  });

  it('makes a cut-off file visible: the partial line is rejected and no trailer arrives', async () => {
    const cut = csv([header(), street, descriptor]) + csv([lpi]).split(',').slice(0, 21).join(',');
    const events = await read(cut);
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '24', line: 4, reason: 'record 24: expected 26 fields, got 21' }]);
    expect(events.at(-1)).toEqual({ kind: 'end', lines: 4, trailerSeen: false, finalNewline: false });
  });

  it('rejects a last line cut inside a quoted field', async () => {
    const whole = csv([header(), street, descriptor]);
    const cut = whole.slice(0, whole.indexOf('MILL') + 2);
    const events = await read(cut);
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: null, line: 3, reason: 'unterminated quoted field' }]);
    expect(events.some((e) => e.kind === 'trailer')).toBe(false);
  });

  it('counts unknown record types as skipped, not as errors', async () => {
    const events = await read(csv([header(), ['77', 'I', '1', 'x'], street, trailer(2)]));
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([{ kind: 'skipped', recordType: '77', line: 2, reason: 'unknown record type' }]);
    expect(rejectsOf(events)).toEqual([]);
  });

  it('rejects a header record with the wrong field count and skips a header after the first line', async () => {
    const events = await read(csv([header().slice(0, 7), street, header(), trailer(2)]));
    expect(events[0]).toMatchObject({ kind: 'header', format: 'abp', line: 1 });
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '10', line: 1, reason: 'record 10: expected 9 fields, got 7' }]);
    expect(events.filter((e) => e.kind === 'skipped')).toEqual([{ kind: 'skipped', recordType: '10', line: 3, reason: 'header record after the first line' }]);
  });

  it('rejects a malformed trailer', async () => {
    const events = await read(csv([header(), street, ['99', '0', 'many', '2024-01-01', '10:00:00']]));
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '99', line: 3, reason: 'record 99 field RECORD_COUNT: not an integer' }]);
    expect(events.at(-1)).toMatchObject({ trailerSeen: false });
  });
});

describe('readGazetteer: AddressBase Premium split into one file per record type', () => {
  const headerRow = (type: 21 | 24) => ['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER', ...ABP[type]];

  it('detects the header row and maps the rows by position', async () => {
    const events = await read(csv([headerRow(21), blpu, blpu]), 'ID21_BLPU_Records.csv');
    expect(events[0]).toMatchObject({ kind: 'header', format: 'abp-split', fileType: 'FULL', fileTypeFrom: 'default', line: 1, header: null });
    expect(recordsOf(events).map((e) => [e.record.type, e.line])).toEqual([[21, 2], [21, 3]]);
    expect(recordsOf(events)[0]?.record.data).toMatchObject({ uprn: 100000000001, postcodeLocator: 'AB1 2CD' });
    expect(events.at(-1)).toMatchObject({ kind: 'end', trailerSeen: false });
  });

  it('follows the header row when the columns come in another order', async () => {
    const names = headerRow(24);
    const order = names.map((_, i) => i).reverse();
    const events = await read(csv([order.map((i) => names[i]!), order.map((i) => lpi[i]!)]), 'AddressBasePremium_COU_2024-03-01_001_24.csv');
    expect(events[0]).toMatchObject({ format: 'abp-split', fileType: 'COU', fileTypeFrom: 'file-name' });
    expect(recordsOf(events)[0]?.record.data).toMatchObject({ uprn: 100000000001, lpiKey: '9999L000000001', paoText: 'ROSE COURT', usrn: 20000001 });
  });

  it('rejects rows whose field count differs from the header row, or whose columns the header lacks', async () => {
    const events = await read(csv([headerRow(21), blpu.slice(0, 5), lpi]));
    expect(rejectsOf(events).map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 2, reason: 'record 21: expected 22 fields as in the header row, got 5' },
      { line: 3, reason: 'record 24: expected 22 fields as in the header row, got 26' },
    ]);
  });
});
