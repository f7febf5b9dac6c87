import { describe, expect, it } from 'vitest';
import { buildVocabulary, builtinParser } from '../../../matching/address/index.js';
import { compareRecords, MISSING, PERSON_COMPARISONS } from '../../../matching/person/compare.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { personFeatures } from '../../../src/linkage/features.js';

const tables = { nicknames: emptyNicknameTable() };
const record = (sourceRef: string, forenames: string[], dob: string | null, lines: string[]): SourceRecord => ({
  system: 'smartcard', sourceRef, names: [{ title: null, forenames, surname: 'PENGELLY', suffix: null, raw: null, kind: 'current' }],
  dateOfBirth: dob, dateOfBirthRaw: null, sex: null, identifiers: [], contacts: [],
  addresses: [{ lines, postcode: null, uprn: null, crossReference: null, kind: 'residential', from: null, to: null }],
  entitlements: [], involvements: [], closed: false, sourceUpdatedAt: null, warnings: [],
});
// What address matching parses with: the gazetteer's names, REDCASTER PARK a locality.
const parser = builtinParser(buildVocabulary({ streets: ['CHURCH ROAD'], localities: ['REDCASTER PARK'], towns: ['REDCASTER'] }));
const parsedAs = (r: SourceRecord) => parser.parse(r.addresses[0]!.lines.join(', '), null);
const levelOf = (vector: Int8Array, field: string): string | null => {
  const f = PERSON_COMPARISONS.findIndex((c) => c.field === field);
  const level = vector[f] as number;
  return level === MISSING ? null : PERSON_COMPARISONS[f]!.levels[level]!;
};

describe("linkage's address features", () => {
  const seven = record('A7', ['R'], null, ['7 CHURCH ROAD', 'REDCASTER PARK', 'REDCASTER']);
  const six = record('A6', ['RHODRI'], '1961-02-03', ['6 CHURCH ROAD', 'REDCASTER PARK']);

  it('take the house number and street from the parse address matching made', () => {
    expect(personFeatures(seven, null, parsedAs(seven))).toMatchObject({ houseNumber: '7', street: 'CHURCH ROAD' });
    expect(personFeatures(six, null, parsedAs(six))).toMatchObject({ houseNumber: '6', street: 'CHURCH ROAD' });
    const a = prepare(personFeatures(seven, null, parsedAs(seven)), tables);
    const b = prepare(personFeatures(six, null, parsedAs(six)), tables);
    expect(levelOf(compareRecords(a, b), 'address')).toBe('same street');
  });
});
