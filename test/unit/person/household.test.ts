import { describe, expect, it } from 'vitest';
import { candidatePairs, DEFAULT_BLOCKING_RULES, TRAINING_BLOCKING_RULES } from '../../../matching/person/blocking.js';
import { coParties, explainPair, householdDoubt, thinEvidence } from '../../../matching/person/explain.js';
import { trainModel } from '../../../matching/person/model.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import type { PersonRecord } from '../../../matching/person/types.js';
import { syntheticSet } from './synthetic.js';

const tables = { nicknames: emptyNicknameTable() };
const set = syntheticSet(400, 7);
const left = set.left.map((r) => prepare(r, tables));
const right = set.right.map((r) => prepare(r, tables));
const model = trainModel(left, right, candidatePairs(left, right, TRAINING_BLOCKING_RULES).pairs, { seed: 11, randomPairs: 20_000 });
const home: PersonRecord = { id: 'a', forenames: ['MARGARET'], surname: 'QUILTER', dob: '1950-02-03', uprn: 900001, postcode: 'ZZ1 1AA', street: 'MILL LANE', houseNumber: '4', phone: '+441632960001' };

describe('household members', () => {
  it('trains without the keys a household shares', () => {
    expect(TRAINING_BLOCKING_RULES.map((r) => r.name)).not.toContain('uprn');
    expect(TRAINING_BLOCKING_RULES.map((r) => r.name)).not.toContain('surname + postcode');
    expect(TRAINING_BLOCKING_RULES.length).toBeLessThan(DEFAULT_BLOCKING_RULES.length);
  });

  it('doubts a pair at one address whose forenames or dates of birth plainly differ, and not the same person there', () => {
    const a = prepare(home, tables);
    const spouse = explainPair(model, a, prepare({ ...home, id: 'b', forenames: ['DESMOND'], dob: '1948-11-30' }, tables));
    expect(householdDoubt(spouse)).toEqual({ reason: 'same household, different forename', review: false });
    const slip = explainPair(model, a, prepare({ ...home, id: 'c', dob: '1957-08-21' }, tables));
    expect(householdDoubt(slip)).toMatchObject({ review: true });
    expect(householdDoubt(explainPair(model, a, prepare({ ...home, id: 'd' }, tables)))).toBeNull();
    // The same NI number is one person, whatever the forename says (an initial of a middle name, a typo).
    const withNino = prepare({ ...home, id: 'f', nino: 'AB123456C' }, tables);
    expect(householdDoubt(explainPair(model, withNino, prepare({ ...home, id: 'g', forenames: ['JAY'], nino: 'AB123456C' }, tables)))).toBeNull();
    // Living apart, a different forename is the model's to weigh.
    const apart = explainPair(model, a, prepare({ ...home, id: 'e', forenames: ['DESMOND'], uprn: 900777, postcode: 'ZZ9 9ZZ', street: 'OTHER ROAD', phone: null }, tables));
    expect(householdDoubt(apart)).toBeNull();
  });

  it('keeps agreement on an identifier the candidate pairs hardly show as evidence for, not against', () => {
    // The synthetic set has no NHS numbers: EM sees none agree, and the prior keeps exact agreement a positive weight.
    const nhs = model.fields.find((f) => f.field === 'nhsNumber')!;
    expect(Math.log2(nhs.m[0]! / nhs.u[0]!)).toBeGreaterThan(0);
  });

  it('knows two records named on one source account as two people, whatever their names', () => {
    const father = prepare({ ...home, id: 'revenues|CT1-1', forenames: ['JOHN'], surname: 'SMITH', dob: null, accounts: ['revenues|CT1'] }, tables);
    const son = prepare({ ...home, id: 'revenues|CT1-2', forenames: ['JOHN'], surname: 'SMITH', dob: null, accounts: ['revenues|CT1'] }, tables);
    expect(coParties(father, son)).toBe(true);
    expect(coParties(father, father)).toBe(false);
    // The same name on another account, or a record of a system without accounts, is the model's to weigh.
    expect(coParties(father, prepare({ ...home, id: 'revenues|CT2-1', accounts: ['revenues|CT2'] }, tables))).toBe(false);
    expect(coParties(father, prepare({ ...home, id: 'housing|T1' }, tables))).toBe(false);
  });

  it('doubts a pair with another surname that shares nothing but forename and date of birth, and not one with anything more', () => {
    const a = prepare(home, tables);
    const elsewhere = { uprn: 900888, postcode: 'ZZ8 8ZZ', street: 'HIGH STREET', houseNumber: '12', phone: null };
    // Married and moved, or another MARGARET born that day: a steward decides.
    expect(thinEvidence(explainPair(model, a, prepare({ ...home, ...elsewhere, id: 'b', surname: 'BRADSHAW' }, tables))))
      .toEqual({ reason: 'the surnames differ and only forename and date of birth agree', review: true });
    // Married and still at the same address; or moved under the same surname; or the same NI number: the model weighs it.
    expect(thinEvidence(explainPair(model, a, prepare({ ...home, id: 'c', surname: 'BRADSHAW' }, tables)))).toBeNull();
    expect(thinEvidence(explainPair(model, a, prepare({ ...home, ...elsewhere, id: 'd' }, tables)))).toBeNull();
    const withNino = prepare({ ...home, id: 'e', nino: 'AB123456C' }, tables);
    expect(thinEvidence(explainPair(model, withNino, prepare({ ...home, ...elsewhere, id: 'f', surname: 'BRADSHAW', nino: 'AB123456C' }, tables)))).toBeNull();
  });
});
