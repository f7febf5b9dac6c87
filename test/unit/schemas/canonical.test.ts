import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { SourceRecord } from '../../../schemas/source-record.js';

const record = {
  system: 'revenues',
  sourceRef: 'CT-000123',
  names: [{ title: 'MR', forenames: ['ALAN'], surname: 'TESTER', suffix: null, raw: 'MR ALAN TESTER', kind: 'current' }],
  dateOfBirth: '1970-01-31',
  dateOfBirthRaw: '31/01/1970',
  sex: null,
  identifiers: [{ scheme: 'nino', value: 'AB123456C', raw: 'ab 12 34 56 c', valid: true }],
  contacts: [],
  addresses: [{ lines: ['1 HIGH STREET'], postcode: 'AA1 1AA', uprn: null, crossReference: null, kind: 'residential', from: null, to: null }],
  entitlements: [
    { kind: 'disability-reduction', code: 'DIS', from: '2020-04-01', to: null, evidence: { verified: true, verifiedOn: '2020-03-20', method: 'assessment' } },
  ],
  involvements: [{ service: 'council tax', reference: 'CT-000123', role: 'liable party', status: 'open', from: null, to: null }],
  closed: false,
  sourceUpdatedAt: null,
  warnings: [],
};

describe('canonical source record schema', () => {
  it('accepts a complete record', () => {
    expect(Value.Errors(SourceRecord, record)).toEqual([]);
  });

  it('names the field and rule of what is wrong', () => {
    const bad = { ...record, dateOfBirth: '31/01/1970', names: [] };
    const paths = Value.Errors(SourceRecord, bad).map((e) => e.instancePath);
    expect(paths).toContain('/dateOfBirth');
    expect(paths).toContain('/names');
  });

  it('rejects an entitlement kind outside the vocabulary', () => {
    const bad = { ...record, entitlements: [{ ...record.entitlements[0], kind: 'free-money' }] };
    expect(Value.Check(SourceRecord, bad)).toBe(false);
  });
});
