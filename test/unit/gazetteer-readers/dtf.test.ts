import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { Blpu, Lpi, Organisation } from '../../../schemas/bs7666.js';
import { ABP, DTF, csv, fields, read, recordsOf, rejectsOf } from './build.js';

const header = (fileType = 'F') => fields(ABP[10], 10, {
  CUSTODIAN_NAME: 'TEST COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: '2024-03-01', VOLUME_NUMBER: 1,
  ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00', VERSION: '7.3', FILE_TYPE: fileType,
});
const trailer = (count: number) => fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: 0, RECORD_COUNT: count, ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00' });

const street = fields(DTF[11], 11, {
  USRN: 20000001, RECORD_TYPE: 2, SWA_ORG_REF_NAMING: 9999, STATE: 4, VERSION: 1, RECORD_ENTRY_DATE: '1999-01-01',
  LAST_UPDATE_DATE: '2020-01-01', STREET_START_DATE: '2001-02-03', STREET_END_DATE: '2030-12-31',
  STREET_START_X: 400001, STREET_START_Y: 300002, STREET_END_X: 400003, STREET_END_Y: 300004, STREET_TOLERANCE: 10,
});
const descriptor = fields(DTF[15], 15, {
  USRN: 20000001, STREET_DESCRIPTOR: 'CHURCH ROAD', LOCALITY_NAME: 'EASTFIELD', TOWN_NAME: 'ANYTOWN', ADMINISTRATIVE_AREA: 'ANYSHIRE', LANGUAGE: 'ENG',
});
const blpuValues = {
  UPRN: 100000000002, LOGICAL_STATUS: 1, BLPU_STATE: 2, BLPU_STATE_DATE: '2005-05-05', BLPU_CLASS: 'CR', PARENT_UPRN: 100000000000,
  X_COORDINATE: '400010.5', Y_COORDINATE: 300020, RPC: 2, LOCAL_CUSTODIAN_CODE: 9999, START_DATE: '2005-05-05', END_DATE: '2025-01-01',
  LAST_UPDATE_DATE: '2020-01-01', ENTRY_DATE: '2005-05-05', ORGANISATION: 'CORNER SHOP, "THE"', WARD_CODE: 'W1', PARISH_CODE: 'P1',
};
const blpu = fields(DTF[21], 21, blpuValues);
const xref = fields(DTF[23], 23, {
  UPRN: 100000000002, XREF_KEY: 'X1', START_DATE: '2010-01-01', LAST_UPDATE_DATE: '2011-01-01', ENTRY_DATE: '2010-01-01',
  END_DATE: '2019-12-31', CROSS_REFERENCE: 'NDR-777', SOURCE: '7666VN',
});
const lpi = fields(DTF[24], 24, {
  UPRN: 100000000002, LPI_KEY: '9999L000000002', LANGUAGE: 'ENG', LOGICAL_STATUS: 3, START_DATE: '2005-05-05', END_DATE: '',
  ENTRY_DATE: '2005-05-05', LAST_UPDATE_DATE: '2020-01-01', SAO_START_NUMBER: 1, SAO_START_SUFFIX: 'A', SAO_END_NUMBER: 2,
  SAO_END_SUFFIX: 'B', SAO_TEXT: 'UNIT', PAO_START_NUMBER: 7, PAO_START_SUFFIX: 'C', PAO_END_NUMBER: 9, PAO_END_SUFFIX: 'D',
  PAO_TEXT: 'MARKET HALL', USRN: 20000001, LEVEL: 'G', POSTAL_ADDRESS: 'Y', POSTCODE: 'AB1 2CD', POST_TOWN: 'ANYTOWN', OFFICIAL_FLAG: 'Y',
});

describe('readGazetteer: DTF 7.3', () => {
  it('maps streets, descriptors, BLPUs (with class), cross references and LPIs (with postcode and post town)', async () => {
    const events = await read(csv([header(), street, descriptor, blpu, xref, lpi, trailer(5)]));
    expect(events[0]).toMatchObject({ kind: 'header', format: 'dtf', fileType: 'FULL', line: 1, header: { version: '7.3', custodianName: 'TEST COUNCIL' } });
    expect(rejectsOf(events)).toEqual([]);
    const own = recordsOf(events).filter((e) => !e.derived);
    expect(own.map((e) => e.record.type)).toEqual([11, 15, 21, 23, 24]);
    const data = own.map((e) => e.record.data);
    expect(data[0]).toEqual({ usrn: 20000001, recordType: 2, state: 4, startDate: '2001-02-03', endDate: '2030-12-31', startX: 400001, startY: 300002, endX: 400003, endY: 300004 });
    expect(data[1]).toEqual({ usrn: 20000001, description: 'CHURCH ROAD', locality: 'EASTFIELD', town: 'ANYTOWN', administrativeArea: 'ANYSHIRE', language: 'ENG' });
    expect(data[2]).toEqual({
      uprn: 100000000002, logicalStatus: 1, state: 2, parentUprn: 100000000000, x: 400010.5, y: 300020, latitude: null, longitude: null,
      rpc: 2, localCustodianCode: 9999, startDate: '2005-05-05', endDate: '2025-01-01', postcodeLocator: null, blpuClass: 'CR',
    });
    expect(data[3]).toEqual({ uprn: 100000000002, xrefKey: 'X1', crossReference: 'NDR-777', source: '7666VN', startDate: '2010-01-01', endDate: '2019-12-31' });
    expect(data[4]).toEqual({
      uprn: 100000000002, lpiKey: '9999L000000002', language: 'ENG', logicalStatus: 3, startDate: '2005-05-05', endDate: null,
      saoStartNumber: 1, saoStartSuffix: 'A', saoEndNumber: 2, saoEndSuffix: 'B', saoText: 'UNIT', paoStartNumber: 7, paoStartSuffix: 'C',
      paoEndNumber: 9, paoEndSuffix: 'D', paoText: 'MARKET HALL', usrn: 20000001, level: 'G', officialFlag: 'Y', postcode: 'AB1 2CD', postTown: 'ANYTOWN',
    });
    expect(Value.Check(Blpu, data[2])).toBe(true);
    expect(Value.Check(Lpi, data[4])).toBe(true);
  });

  it('emits an organisation record from a BLPU with ORGANISATION, keyed stably by UPRN', async () => {
    const events = await read(csv([header(), blpu, trailer(1)]));
    const derived = recordsOf(events).filter((e) => e.derived);
    expect(derived).toEqual([{
      kind: 'record', line: 2, derived: true,
      record: { type: 31, change: 'I', data: { uprn: 100000000002, orgKey: 'DTF21-100000000002', organisation: 'CORNER SHOP, "THE"', legalName: null, startDate: '2005-05-05', endDate: '2025-01-01' } },
    }]);
    expect(Value.Check(Organisation, derived[0]?.record.data)).toBe(true);
    const again = recordsOf(await read(csv([header(), blpu, trailer(1)]))).filter((e) => e.derived);
    expect(again[0]?.record.data).toEqual(derived[0]?.record.data);
  });

  it('emits no organisation for an inserted BLPU without one, and deletes it when an update clears it or the BLPU goes', async () => {
    const none = { ...blpuValues, ORGANISATION: '' };
    const rows = [fields(DTF[21], 21, none, 'I'), fields(DTF[21], 21, none, 'U'), fields(DTF[21], 21, blpuValues, 'U'), fields(DTF[21], 21, blpuValues, 'D')];
    const events = await read(csv([header('C'), ...rows, trailer(4)]));
    expect(events[0]).toMatchObject({ fileType: 'COU' });
    expect(recordsOf(events).filter((e) => e.derived).map((e) => [e.line, e.record.change])).toEqual([[3, 'D'], [4, 'U'], [5, 'D']]);
  });

  it('skips the DTF record types the hub does not use, and LPIs with status 9 (rejected)', async () => {
    const rejected = [...lpi];
    rejected[6] = '9';
    const rows = ['12', '13', '14', '22', '25', '26', '27', '98'].map((t) => [t, 'I', '1', 'x']);
    const events = await read(csv([header(), ...rows, ['29', 'META'], rejected, trailer(10)]));
    const skipped = events.flatMap((e) => (e.kind === 'skipped' ? [e.recordType] : []));
    expect(skipped).toEqual(['12', '13', '14', '22', '25', '26', '27', '98', '29', '24']);
    expect(rejectsOf(events)).toEqual([]);
  });

  it('rejects a DTF row with the AddressBase field count for its type', async () => {
    const events = await read(csv([header(), street, blpu.slice(0, 22), trailer(2)]));
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '21', line: 3, reason: 'record 21: expected 23 fields, got 22' }]);
  });
});
