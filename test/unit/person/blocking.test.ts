import { describe, expect, it } from 'vitest';
import { candidatePairs, DEFAULT_BLOCKING_RULES, pairsCompleteness, reductionRatio } from '../../../matching/person/blocking.js';
import { buildNicknameTable, emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import type { PersonRecord } from '../../../matching/person/types.js';

const tables = { nicknames: emptyNicknameTable() };
const person = (id: string, fields: Partial<PersonRecord>): PersonRecord => ({ id, forenames: [], surname: '', dob: null, ...fields });

describe('blocking', () => {
  const left = [
    person('L1', { forenames: ['Ann'], surname: 'Able', dob: '1970-01-01' }),
    person('L2', { forenames: ['Bea'], surname: 'Baker', nhsNumber: '9434765919' }),
    person('L3', { forenames: ['Cy'], surname: 'Cole', dob: '1990-05-05', postcode: 'M1 1AE' }),
  ].map((r) => prepare(r, tables));
  const right = [
    person('R1', { forenames: ['Anne'], surname: 'Zed', dob: '1970-01-01' }),
    person('R2', { forenames: ['Bee'], surname: 'Quill', nhsNumber: '943 476 5919' }),
    person('R3', { forenames: ['Cy'], surname: 'Kohl', postcode: 'm11ae' }),
  ].map((r) => prepare(r, tables));

  it('takes the union of the rules, each pair once', () => {
    const result = candidatePairs(left, right);
    const ids = result.pairs.map((p) => `${left[p.left]?.id}|${right[p.right]?.id}`).sort();
    expect(ids).toEqual(['L1|R1', 'L2|R2', 'L3|R3']);
    expect(result.pairsByRule['date of birth + initial']).toBe(1);
    expect(result.pairsByRule['nhs number']).toBe(1);
    expect(result.pairsByRule['forename + postcode']).toBe(1);
  });

  it('finds nothing with a single rule that the pairs do not share', () => {
    const dobOnly = DEFAULT_BLOCKING_RULES.filter((r) => r.name === 'date of birth + initial');
    expect(candidatePairs(left, right, dobOnly).pairs).toEqual([{ left: 0, right: 0 }]);
  });

  it('deduplicates one list with each unordered pair once', () => {
    const all = [...left, ...right];
    const pairs = candidatePairs(all, null).pairs;
    expect(pairs.every((p) => p.left < p.right)).toBe(true);
    expect(pairs).toHaveLength(3);
  });

  it('keys the date of birth by the initials a person may go by, so that a shared birthday alone pairs nobody', () => {
    const nicknames = { nicknames: buildNicknameTable([{ name: 'Christopher', nickname: 'Kit' }]) };
    const dob = '1961-03-14';
    const [kit, christopher, carl, swapped, middle, stranger] = [
      person('KIT', { forenames: ['Kit'], surname: 'Norshaw', dob }),
      person('CHRISTOPHER', { forenames: ['Christopher'], surname: 'Norshaw-Bell', dob }),
      person('CARL', { forenames: ['Carl'], surname: 'Bell', dob }),
      person('SWAPPED', { forenames: ['Bell'], surname: 'Carl', dob }),
      person('MIDDLE', { forenames: ['Tom', 'Kit'], surname: 'Ames', dob }),
      person('STRANGER', { forenames: ['Zoe'], surname: 'Ward', dob }),
    ].map((r) => prepare(r, nicknames));
    const dobOnly = DEFAULT_BLOCKING_RULES.filter((r) => r.name === 'date of birth + initial');
    const paired = (a: typeof kit, b: typeof kit) => candidatePairs([a!], [b!], dobOnly).pairs.length === 1;
    expect(paired(kit, christopher)).toBe(true); // a nickname whose root has another initial
    expect(paired(carl, swapped)).toBe(true); // forename and surname the wrong way round
    expect(paired(middle, kit)).toBe(true); // known by a middle name
    expect(paired(stranger, kit)).toBe(false);
    expect(paired(stranger, carl)).toBe(false);
  });

  it('skips blocks above the size limit', () => {
    const same = Array.from({ length: 5 }, (_, i) => prepare(person(`S${i}`, { forenames: ['Sam'], dob: '1970-01-01' }), tables));
    const result = candidatePairs(same, null, DEFAULT_BLOCKING_RULES, 4);
    expect(result.pairs).toHaveLength(0);
    expect(result.skippedBlocks).toBe(1);
  });

  it("skips a rule's blocks above the rule's own limit, leaving the other rules alone", () => {
    const named = Array.from({ length: 3 }, (_, i) => prepare(person(`N${i}`, { forenames: ['Sam'], surname: 'Hale', dob: `1970-01-0${i + 1}` }), tables));
    const byName = DEFAULT_BLOCKING_RULES.find((r) => r.name === 'forename + surname')!;
    expect(candidatePairs(named, null, [{ ...byName, maxBlockSize: 3 }]).pairs).toHaveLength(3);
    const limited = candidatePairs(named, null, [{ ...byName, maxBlockSize: 2 }]);
    expect(limited.pairs).toHaveLength(0);
    expect(limited.skippedBlocks).toBe(1);
    expect(candidatePairs(named, null, [{ ...byName, maxBlockSize: 2 }, DEFAULT_BLOCKING_RULES.find((r) => r.name === 'surname code + birth year + initial')!]).pairs).toHaveLength(3);
  });

  it('measures pairs completeness and reduction ratio', () => {
    expect(pairsCompleteness(new Set(['a|b', 'c|d']), new Set(['a|b', 'e|f']))).toBe(0.5);
    expect(reductionRatio(10, 1000)).toBeCloseTo(0.99);
  });
});
