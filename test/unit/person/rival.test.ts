import { describe, expect, it } from 'vitest';
import { candidatePairs, TRAINING_BLOCKING_RULES } from '../../../matching/person/blocking.js';
import { explainPair } from '../../../matching/person/explain.js';
import { trainModel } from '../../../matching/person/model.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import { generationAgeDoubt, rivalDoubt } from '../../../matching/person/rival.js';
import type { PersonRecord } from '../../../matching/person/types.js';
import { syntheticSet } from './synthetic.js';

const tables = { nicknames: emptyNicknameTable() };
const set = syntheticSet(400, 7);
const left = set.left.map((r) => prepare(r, tables));
const right = set.right.map((r) => prepare(r, tables));
const model = trainModel(left, right, candidatePairs(left, right, TRAINING_BLOCKING_RULES).pairs, { seed: 11, randomPairs: 20_000 });
const home: Omit<PersonRecord, 'id' | 'forenames'> = { surname: 'KING', dob: null, uprn: 900001, postcode: 'ZZ1 1AA', street: 'MILL LANE', houseNumber: '4', town: 'NORTHBY' };
const person = (p: Partial<PersonRecord> & Pick<PersonRecord, 'id' | 'forenames'>) => prepare({ ...home, ...p }, tables);
const TODAY = '2026-12-01';

const doubt = (me: ReturnType<typeof person>, m: ReturnType<typeof person>, neighbours: ReturnType<typeof person>[]) =>
  rivalDoubt(model, me, m, explainPair(model, me, m), neighbours, TODAY);

describe('a joint party that matches as well', () => {
  // A council-tax row "J D KING SNR, JOHN DAVID KING JNR" and a social-care JOHN KING of 25.
  const snr = person({ id: 'revenues|CT1-1', forenames: ['J', 'D'], surname: 'KING SNR', accounts: ['revenues|CT1'] });
  const jnr = person({ id: 'revenues|CT1-2', forenames: ['JOHN', 'DAVID'], surname: 'KING JNR', accounts: ['revenues|CT1'] });
  const care = person({ id: 'social-care|SC1', forenames: ['JOHN'], dob: '2001-02-14' });

  it('doubts a record whose joint party on one source account matches the candidate as well', () => {
    expect(explainPair(model, snr, care).decision).toBe('link');
    expect(doubt(snr, care, [jnr, care])).toEqual({ reason: 'a joint party of the record on one source account matches as well', review: true });
    // And from the other side: the candidate's joint party matches the record as well.
    const other = person({ id: 'smartcard|1', forenames: ['JOHN'] });
    expect(doubt(other, jnr, [snr])).toEqual({ reason: 'a joint party of the candidate on one source account matches as well', review: true });
  });

  it('has no doubt without a joint party, or when the joint party is plainly someone else', () => {
    expect(doubt(snr, care, [care])).toBeNull();
    const wife = person({ id: 'revenues|CT1-2', forenames: ['MARY'], surname: 'KING', accounts: ['revenues|CT1'] });
    expect(doubt(snr, care, [wife])).toBeNull();
    // A neighbour of the same name on another account is no joint party.
    expect(doubt(snr, care, [person({ id: 'revenues|CT9-1', forenames: ['JOHN'], accounts: ['revenues|CT9'] })])).toBeNull();
  });

  it('has no doubt when the pair shares an NI number or a date of birth the joint party lacks', () => {
    const withNino = person({ id: 'revenues|CT1-1', forenames: ['J', 'D'], surname: 'KING SNR', nino: 'AB123456C', accounts: ['revenues|CT1'] });
    expect(doubt(withNino, person({ id: 'social-care|SC1', forenames: ['JOHN'], dob: '2001-02-14', nino: 'AB123456C' }), [jnr])).toBeNull();
    const dated = person({ id: 'revenues|CT1-1', forenames: ['JOHN'], dob: '2001-02-14', accounts: ['revenues|CT1'] });
    expect(doubt(dated, care, [jnr])).toBeNull();
  });

  it('doubts twins on one tenancy against a record with an initial and their date of birth', () => {
    const twin = { surname: 'RAVSHAW', dob: '1980-01-02', accounts: ['housing|HT1'] };
    const sarah = person({ id: 'housing|HT1-1', forenames: ['SARAH'], ...twin });
    const samantha = person({ id: 'housing|HT1-2', forenames: ['SAMANTHA'], ...twin });
    const initial = person({ id: 'revenues|CT5-2', forenames: ['S'], surname: 'RAVSHAW', dob: '1980-01-02', accounts: ['revenues|CT5'] });
    expect(doubt(sarah, initial, [samantha])).toMatchObject({ review: true });
  });

  it('lets the generations decide: the elder of two dated namesakes is the SNR', () => {
    const father = person({ id: 'housing|HT2-1', forenames: ['JOHN'], dob: '1968-12-20', accounts: ['housing|HT2'] });
    const son = person({ id: 'housing|HT2-2', forenames: ['JOHN'], dob: '1988-07-21', accounts: ['housing|HT2'] });
    // The unmarked liable party beside a JNR is the SNR: he is the father, not the son.
    const unmarked = person({ id: 'revenues|CT1-1', forenames: ['JOHN'], accounts: ['revenues|CT1'] });
    expect(doubt(unmarked, father, [jnr, son])).toBeNull();
    expect(doubt(unmarked, son, [jnr, father])).toMatchObject({ review: true });
    expect(doubt(jnr, son, [unmarked, father])).toBeNull();
  });

  it('takes a man of 70 or more for the SNR when no dated namesake says otherwise', () => {
    const old = person({ id: 'smartcard|2', forenames: ['JOHN'], dob: '1950-09-20' });
    expect(doubt(snr, old, [jnr])).toBeNull();
    expect(doubt(jnr, old, [snr])).toMatchObject({ review: true });
    const sixty = person({ id: 'smartcard|3', forenames: ['JOHN'], dob: '1966-09-20' });
    expect(doubt(snr, sixty, [jnr])).toMatchObject({ review: true });
  });
});

describe('a generation marker against an age', () => {
  it('doubts a SNR record against an unmarked record of someone under 34, either way round', () => {
    const snr = person({ id: 'revenues|CT3-1', forenames: ['MICHAEL', 'D'], surname: 'FARMAN SNR' });
    const young = person({ id: 'social-care|SC3', forenames: ['MICHAEL'], surname: 'FARMAN', dob: '1999-10-14' });
    expect(generationAgeDoubt(snr, young, TODAY)).toEqual({ reason: 'a record marked SNR and one of someone under 34', review: true });
    expect(generationAgeDoubt(young, snr, TODAY)).not.toBeNull();
    expect(generationAgeDoubt(snr, { ...young, dob: '1960-10-14' }, TODAY)).toBeNull();
    expect(generationAgeDoubt(snr, { ...young, dob: null }, TODAY)).toBeNull();
    expect(generationAgeDoubt({ ...snr, generation: 'JNR' }, young, TODAY)).toBeNull();
    // A JNR of 70 or more would have a father of 86 or more.
    expect(generationAgeDoubt({ ...snr, generation: 'JNR' }, { ...young, dob: '1951-10-03' }, TODAY)).toEqual({ reason: 'a record marked JNR and one of someone of 70 or more', review: true });
    expect(generationAgeDoubt({ ...snr, generation: 'JNR' }, { ...young, dob: '1966-10-03' }, TODAY)).toBeNull();
  });
});
