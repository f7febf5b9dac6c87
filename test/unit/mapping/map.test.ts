import { describe, expect, it } from 'vitest';
import { mapRecord, parseMapping, type MapResult } from '../../../adapters/mapping/index.js';
import type { ReadRecord } from '../../../adapters/readers/index.js';
import type { SourceRecord } from '../../../schemas/source-record.js';

const item = (fields: Record<string, unknown>): ReadRecord => ({ position: { index: 0, line: 2 }, fields, raw: '' });

const records = (results: MapResult[]): SourceRecord[] =>
  results.map((r) => {
    if (!('record' in r)) throw new Error(`rejected: ${JSON.stringify(r.reject)}`);
    return r.record;
  });

const mapping = parseMapping(
  `
version: 1
system: revenues
reader: { kind: csv }
sourceRef: REF
parties:
  columns:
    - { name: P1, dob: DOB1, nino: NI1 }
    - { name: P2, dob: DOB2, nino: NI2 }
name: { full: $party.name }
dateOfBirth: { field: $party.dob, formats: [DD/MM/YYYY, YYYYMMDD, ISO] }
identifiers:
  - { scheme: nino, field: $party.nino }
contacts:
  - { kind: phone, field: PHONE }
  - { kind: email, field: EMAIL }
addresses:
  - { lines: [A1, A2, A3], postcode: PC, uprn: UPRN, kind: residential, join: ", " }
entitlements:
  - field: CODES
    separator: ";"
    codes: { DIS: { kind: disability-reduction }, SPD: { kind: single-person-discount } }
    ignore: [NONE]
    verifiedOn: { field: VERIFIED, formats: [DD/MM/YYYY] }
closed: { field: STATUS, values: [closed] }
sourceUpdatedAt: { field: UPDATED, formats: ["DD/MM/YYYY HH:mm:ss"] }
`,
  'test.yaml',
);

const row = {
  REF: 'CT0001',
  P1: 'MR JOHN A SMITH',
  DOB1: '31/01/1970',
  NI1: 'ab 12 34 56 c',
  P2: 'SMITH, MARY',
  DOB2: '19720229',
  NI2: '',
  PHONE: '0113 496 0000',
  EMAIL: 'J.Smith@Example.ORG',
  A1: '1 TEST ROW',
  A2: '',
  A3: 'TESTTOWN',
  PC: 'aa1 1aa',
  UPRN: '100000000001',
  CODES: 'SPD; dis ;NONE',
  VERIFIED: '01/04/2020',
  STATUS: 'LIVE',
  UPDATED: '02/04/2020 10:11:12',
};

describe('mapRecord', () => {
  it('gives one record per named party, sourceRef suffixed, with shared account fields', () => {
    const [first, second] = records(mapRecord(mapping, item(row)));
    expect(first).toEqual({
      system: 'revenues',
      sourceRef: 'CT0001-1',
      names: [{ title: 'MR', forenames: ['JOHN', 'A'], surname: 'SMITH', suffix: null, raw: 'MR JOHN A SMITH', kind: 'current' }],
      dateOfBirth: '1970-01-31',
      dateOfBirthRaw: '31/01/1970',
      sex: null,
      identifiers: [{ scheme: 'nino', value: 'AB123456C', raw: 'ab 12 34 56 c', valid: true }],
      contacts: [
        { kind: 'phone', value: '+441134960000', raw: '0113 496 0000', valid: true, use: null },
        { kind: 'email', value: 'J.Smith@example.org', raw: 'J.Smith@Example.ORG', valid: true, use: null },
      ],
      addresses: [{ lines: ['1 TEST ROW, TESTTOWN'], postcode: 'AA1 1AA', uprn: 100000000001, crossReference: null, kind: 'residential', from: null, to: null }],
      entitlements: [
        { kind: 'single-person-discount', code: 'SPD', from: null, to: null, evidence: { verified: true, verifiedOn: '2020-04-01', method: null } },
        { kind: 'disability-reduction', code: 'DIS', from: null, to: null, evidence: { verified: true, verifiedOn: '2020-04-01', method: null } },
      ],
      involvements: [],
      closed: false,
      sourceUpdatedAt: '2020-04-02T10:11:12Z',
      warnings: [],
    });
    expect(second).toMatchObject({ sourceRef: 'CT0001-2', names: [{ forenames: ['MARY'], surname: 'SMITH' }], dateOfBirth: '1972-02-29', identifiers: [] });
  });

  it('skips an empty party but keeps the position suffix of the other', () => {
    const out = records(mapRecord(mapping, item({ ...row, P1: '', P2: 'ANN JONES' })));
    expect(out.map((r) => r.sourceRef)).toEqual(['CT0001-2']);
  });

  it('records invalid identifiers and dates as warnings naming field and rule, never the value', () => {
    const [rec] = records(mapRecord(mapping, item({ ...row, NI1: 'TN123456A', DOB1: '31/02/1970', PHONE: '00000 000000', EMAIL: 'nobody', PC: 'XX1', UPRN: 'ABC', CODES: 'DIS;ZZZ', VERIFIED: 'soon' }), { today: '2026-01-01' }));
    expect(rec?.warnings.map((w) => [w.field, w.rule])).toEqual([
      ['DOB1', 'date-invalid'],
      ['NI1', 'nino-temporary-number'],
      ['PHONE', 'phone-placeholder'],
      ['EMAIL', 'email-no-local-part-or-domain'],
      ['PC', 'postcode-format'],
      ['UPRN', 'uprn-format'],
      ['VERIFIED', 'date-format'],
      ['CODES', 'unknown-code'],
    ]);
    expect(rec).toMatchObject({ dateOfBirth: null, dateOfBirthRaw: '31/02/1970', identifiers: [{ valid: false, raw: 'TN123456A' }], contacts: [{ valid: false }, { valid: false }] });
    expect(rec?.entitlements).toEqual([{ kind: 'disability-reduction', code: 'DIS', from: null, to: null, evidence: { verified: false, verifiedOn: null, method: null } }]);
    const text = JSON.stringify(rec?.warnings);
    for (const value of ['TN123456A', '31/02/1970', 'nobody', 'XX1', 'ZZZ']) expect(text).not.toContain(value);
  });

  it('refuses a date of birth in the future or before 1900', () => {
    const [a, b] = records(mapRecord(mapping, item({ ...row, DOB1: '01/01/2030', DOB2: '01/01/1899' }), { today: '2026-01-01' }));
    expect(a?.dateOfBirth).toBeNull();
    expect(a?.warnings).toContainEqual(expect.objectContaining({ field: 'DOB1', rule: 'dob-in-the-future' }));
    expect(b?.warnings).toContainEqual(expect.objectContaining({ field: 'DOB2', rule: 'dob-before-1900' }));
  });

  it('sets the closed flag from the status field, case-insensitively', () => {
    expect(records(mapRecord(mapping, item({ ...row, STATUS: 'CLOSED' })))[0]?.closed).toBe(true);
  });

  it('rejects a record without a source reference or without anyone named', () => {
    expect(mapRecord(mapping, item({ ...row, REF: ' ' }))).toEqual([{ reject: { field: 'REF', rule: 'required', message: 'the source reference is missing' } }]);
    // The row's reference, read, goes with the reject: its source finds the record by it.
    expect(mapRecord(mapping, item({ ...row, P1: '', P2: '' }))).toEqual([{ reject: { field: 'parties', rule: 'required', message: 'the record names nobody', sourceRef: 'CT0001' } }]);
  });

  it('rejects a reference or other single value given as a list or an object, naming the field, instead of taking its first or calling it missing', () => {
    const notSingle = (field: string, sourceRef?: string) => [{ reject: { field, rule: 'not-a-single-value', message: 'a list or an object where the mapping reads one value', ...(sourceRef ? { sourceRef } : {}) } }];
    expect(mapRecord(mapping, item({ ...row, REF: ['A', 'B'] }))).toEqual(notSingle('REF'));
    expect(mapRecord(mapping, item({ ...row, REF: { x: 1 } }))).toEqual(notSingle('REF'));
    expect(mapRecord(mapping, item({ ...row, REF: [['A']] }))).toEqual(notSingle('REF'));
    // In a party's scope the party is rejected by itself, and the other kept.
    const [p1, p2] = mapRecord(mapping, item({ ...row, DOB1: ['31/01/1970', '01/02/1970'] }));
    expect(p1).toEqual(notSingle('DOB1', 'CT0001-1')[0]);
    expect(p2).toMatchObject({ record: { sourceRef: 'CT0001-2' } });
    expect(mapRecord(mapping, item({ ...row, PC: { outward: 'AA1' } }))).toEqual([...notSingle('PC', 'CT0001-1'), ...notSingle('PC', 'CT0001-2')]);
    // One value in a list of one, and an XML element's text beside its attributes, are single values.
    expect(records(mapRecord(mapping, item({ ...row, REF: ['CT0009'], UPDATED: { '#text': '01/06/2026 10:00:00', '@zone': 'UTC' } })))[0]).toMatchObject({ sourceRef: 'CT0009-1', sourceUpdatedAt: '2026-06-01T10:00:00Z' });
  });

  it('rejects one party whose name has no surname and keeps the other', () => {
    const out = mapRecord(mapping, item({ ...row, P1: 'MRS' }));
    expect(out[0]).toEqual({ reject: { field: 'P1', rule: 'name-unparseable', message: 'no surname could be found in the name', sourceRef: 'CT0001-1' } });
    expect(out[1]).toMatchObject({ record: { sourceRef: 'CT0001-2' } });
  });

  it('rejects a value longer than its field allows, naming the field and rule but not the value, and maps the other party', () => {
    const long = (n: number) => 'Q'.repeat(n);
    const tooLong = (field: string, n: number, sourceRef?: string) => ({ reject: { field, rule: 'too-long', message: `at most ${n} characters`, ...(sourceRef ? { sourceRef } : {}) } });
    const [p1, p2] = mapRecord(mapping, item({ ...row, P1: `MR ${long(20_000)} SMITH` }));
    expect(p1).toEqual(tooLong('P1', 200, 'CT0001-1'));
    expect(p2).toMatchObject({ record: { sourceRef: 'CT0001-2' } });
    expect(JSON.stringify(p1)).not.toContain('QQQ');
    // Limits by what the field holds: a name part or identifier at most 200 characters, an address line at most 500.
    expect(mapRecord(mapping, item({ ...row, P1: `MR JOHN ${long(190)}` }))[0]).toHaveProperty('record');
    expect(mapRecord(mapping, item({ ...row, NI1: long(201) }))[0]).toEqual(tooLong('NI1', 200, 'CT0001-1'));
    expect(mapRecord(mapping, item({ ...row, A2: long(500) }))[0]).toHaveProperty('record');
    expect(mapRecord(mapping, item({ ...row, A2: long(501) }))).toEqual([tooLong('A2', 500, 'CT0001-1'), tooLong('A2', 500, 'CT0001-2')]);
    // A reference too long to be one is not repeated.
    expect(mapRecord(mapping, item({ ...row, REF: long(201) }))).toEqual([tooLong('REF', 200)]);
  });

  it('rejects a record whose values together are over the record limit', () => {
    const m = parseMapping(
      `
version: 1
system: social-care
reader: { kind: jsonl }
sourceRef: id
name: { surname: family }
contacts: [{ kind: phone, field: phones }]
`,
      'sc.yaml',
    );
    const phones = (n: number) => Array.from({ length: n }, () => '9'.repeat(500));
    expect(mapRecord(m, item({ id: 'C1', family: 'LEE', phones: phones(99) }))[0]).toHaveProperty('record');
    expect(mapRecord(m, item({ id: 'C1', family: 'LEE', phones: phones(100) }))).toEqual([
      { reject: { field: 'phones', rule: 'too-large', message: "the record's values together: at most 50000 characters", sourceRef: 'C1' } },
    ]);
  });

  it('warns of a period that ends before it starts, keeping the dates', () => {
    const m = parseMapping(
      `
version: 1
system: housing
reader: { kind: csv }
sourceRef: REF
name: { surname: SURNAME }
addresses: [{ lines: [LINE], kind: previous, from: { field: FROM, formats: [ISO] }, to: { field: TO, formats: [ISO] } }]
`,
      'h.yaml',
    );
    const [ended] = records(mapRecord(m, item({ REF: 'H1', SURNAME: 'LEE', LINE: '1 TEST ROW', FROM: '2020-05-01', TO: '2020-04-30' })));
    expect(ended?.addresses[0]).toMatchObject({ from: '2020-05-01', to: '2020-04-30' });
    expect(ended?.warnings).toEqual([{ field: 'TO', rule: 'ends-before-start', message: 'ends before it starts: the date is earlier than FROM' }]);
    const [sameDay] = records(mapRecord(m, item({ REF: 'H1', SURNAME: 'LEE', LINE: '1 TEST ROW', FROM: '2020-05-01', TO: '2020-05-01' })));
    expect(sameDay?.warnings).toEqual([]);
  });

  it('reads element-style parties and per-item involvements with labelled warnings', () => {
    const m = parseMapping(
      `
version: 1
system: housing
reader: { kind: xml, recordPath: T/R }
sourceRef: "@ref"
parties: { each: Tenant }
name: { title: $party.Title, forenames: $party.Forename, surname: $party.Surname }
identifiers: [{ scheme: nino, field: $party.NINO }]
involvements:
  - { each: Services, service: $item.@type, reference: "@ref", from: { field: $item.@from, formats: [ISO] }, to: { field: $item.@to, formats: [ISO] }, closedIfEnded: true }
`,
      'h.yaml',
    );
    const fields = {
      '@ref': 'T9',
      Tenant: [
        { Title: 'Mrs.', Forename: 'ANN MARIE', Surname: 'LEE', NINO: 'AB123456C' },
        { Forename: 'BO', Surname: 'LEE', NINO: 'QQ123456C' },
      ],
      Services: [{ '@type': 'repairs', '@from': '2020-01-01' }, { '@type': 'arrears', '@from': '2019-01-01', '@to': '2019-13-01' }, { '@type': 'asb', '@to': '2021-05-01' }],
    };
    const [ann, bo] = records(mapRecord(m, item(fields)));
    expect(ann?.names[0]).toEqual({ title: 'MRS', forenames: ['ANN', 'MARIE'], surname: 'LEE', suffix: null, raw: null, kind: 'current' });
    expect(ann?.involvements.map((v) => [v.service, v.status, v.from, v.to])).toEqual([
      ['repairs', 'open', '2020-01-01', null],
      ['arrears', 'open', '2019-01-01', null],
      ['asb', 'closed', null, '2021-05-01'],
    ]);
    expect(ann?.warnings).toEqual([{ field: 'Services[2].@to', rule: 'date-invalid', message: expect.any(String) }]);
    expect(bo?.sourceRef).toBe('T9-2');
    expect(bo?.warnings).toContainEqual(expect.objectContaining({ field: 'Tenant[2].NINO', rule: expect.stringMatching(/^nino-/) }));
  });
});
