import { describe, expect, it } from 'vitest';
import { compareRecords, MISSING, PERSON_COMPARISONS } from '../../../matching/person/compare.js';
import { buildNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import type { PersonRecord } from '../../../matching/person/types.js';

const tables = { nicknames: buildNicknameTable([{ name: 'WILLIAM', nickname: 'BILL' }]) };
const base: PersonRecord = {
  id: 'a', forenames: ['William'], surname: 'Smith-Jones', dob: '1980-03-04', nhsNumber: '943 476 5919', nino: 'AB123456C',
  uprn: 100023336956, postcode: 'SW1A 2AA', street: 'High Street', houseNumber: '12', town: 'Leeds', phone: '07911 123456', email: 'w.sj@example.org',
};
const levelOf = (a: PersonRecord, b: PersonRecord, field: string): string | null => {
  const f = PERSON_COMPARISONS.findIndex((c) => c.field === field);
  const level = compareRecords(prepare(a, tables), prepare(b, tables))[f] as number;
  return level === MISSING ? null : (PERSON_COMPARISONS[f]?.levels[level] ?? 'out of range');
};

describe('comparison vector', () => {
  it('agrees exactly on every field of the same record', () => {
    const vector = compareRecords(prepare(base, tables), prepare({ ...base, id: 'b' }, tables));
    const fields = PERSON_COMPARISONS.map((c, i) => [c.field, vector[i]]);
    for (const [field, level] of fields) if (field !== 'generation' && field !== 'sex' && field !== 'otherId') expect([field, level]).toEqual([field, 0]);
  });

  it('grades names: nickname, one part of a double-barrelled surname, typing error', () => {
    expect(levelOf(base, { ...base, forenames: ['Bill'] }, 'forename')).toBe('nickname');
    expect(levelOf(base, { ...base, forenames: ['W.'] }, 'forename')).toBe('initial or other forename');
    expect(levelOf(base, { ...base, forenames: ['Wiliam'] }, 'forename')).toBe('jaro-winkler >= 0.92');
    expect(levelOf(base, { ...base, forenames: ['Zachary'] }, 'forename')).toBe('different');
    expect(levelOf(base, { ...base, surname: 'Jones' }, 'surname')).toBe('one part of a double-barrelled name');
    expect(levelOf(base, { ...base, surname: 'Smith Jones' }, 'surname')).toBe('exact');
  });

  it('grades dates, postcodes, addresses and email', () => {
    expect(levelOf(base, { ...base, dob: '1980-04-03' }, 'dob')).toBe('transposed');
    expect(levelOf(base, { ...base, postcode: 'SW1A 2AB' }, 'postcode')).toBe('same sector');
    expect(levelOf(base, { ...base, postcode: 'SW1A 9ZZ' }, 'postcode')).toBe('same district');
    expect(levelOf(base, { ...base, houseNumber: '14' }, 'address')).toBe('same street');
    expect(levelOf(base, { ...base, email: 'w.sj@example.com' }, 'email')).toBe('same local part');
  });

  it('gives no level when a side is missing or its identifier is invalid', () => {
    expect(levelOf(base, { ...base, dob: null }, 'dob')).toBeNull();
    expect(levelOf(base, { ...base, nhsNumber: '9434765918' }, 'nhsNumber')).toBeNull();
    expect(levelOf(base, { ...base, nino: 'TN123456A' }, 'nino')).toBeNull();
    expect(levelOf(base, { ...base, phone: '00000 000000' }, 'phone')).toBeNull();
    expect(levelOf(base, { ...base, nino: 'AB123456' }, 'nino')).toBe('exact');
    expect(levelOf(base, { ...base, uprn: 100023336957 }, 'uprn')).toBe('different');
  });

  it('compares generation suffixes so that father and son differ', () => {
    expect(levelOf({ ...base, surname: 'Smith Jnr' }, { ...base, surname: 'Smith Snr' }, 'generation')).toBe('different');
  });
});
