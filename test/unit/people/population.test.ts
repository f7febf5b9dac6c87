import { describe, expect, it } from 'vitest';
import { validateNhsNumber, validateNino, validatePhone, validateEmail } from '../../../matching/identifiers/index.js';
import { ageOn, generatePopulation, type Person } from '../../../fixtures/people/population.js';

const council = { seed: 3, addresses: 3_000 };
const pop = generatePopulation({ seed: 3, council });

describe('generatePopulation', () => {
  it('is deterministic for a seed and differs for another', () => {
    const again = generatePopulation({ seed: 3, council });
    expect(JSON.stringify(again.people)).toBe(JSON.stringify(pop.people));
    expect(JSON.stringify(generatePopulation({ seed: 4, council }).people)).not.toBe(JSON.stringify(pop.people));
  });

  it('houses everyone at a current residential UPRN of the council, about 2.4 people per household', () => {
    expect(pop.households.length).toBeGreaterThan(pop.addressByUprn.size * 0.9);
    for (const p of pop.people) expect(pop.addressByUprn.has(p.uprn)).toBe(true);
    const perHousehold = pop.people.length / pop.households.length;
    expect(perHousehold).toBeGreaterThan(2);
    expect(perHousehold).toBeLessThan(2.8);
    expect(new Set(pop.people.map((p) => p.id)).size).toBe(pop.people.length);
  });

  it('stops at the number of people asked for', () => {
    const small = generatePopulation({ seed: 3, council, people: 200 });
    expect(small.people.length).toBeGreaterThanOrEqual(200);
    expect(small.people.length).toBeLessThan(206);
  });

  it('has a few very common surnames and a long tail', () => {
    const counts = new Map<string, number>();
    for (const p of pop.people) counts.set(p.surname, (counts.get(p.surname) ?? 0) + 1);
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    expect(sorted[0]?.[0]).toBe('SMITH');
    expect((sorted[0]?.[1] ?? 0) / pop.people.length).toBeGreaterThan(0.005);
    expect((sorted[0]?.[1] ?? 0) / pop.people.length).toBeLessThan(0.03);
    expect(sorted.filter(([, n]) => n <= 3).length).toBeGreaterThan(500);
  });

  it('makes twins: same surname, address and date of birth, different forename', () => {
    const twins = pop.people.filter((p) => p.twinOf !== null);
    expect(twins.length).toBeGreaterThanOrEqual(10);
    for (const t of twins) {
      const other = pop.personById.get(t.twinOf as string) as Person;
      expect(other.twinOf).toBe(t.id);
      expect([other.surname, other.uprn, other.dateOfBirth]).toEqual([t.surname, t.uprn, t.dateOfBirth]);
      expect(other.forenames[0]).not.toBe(t.forenames[0]);
    }
  });

  it('makes fathers and sons of the same name at one address, SNR and JNR, born at least 20 years apart', () => {
    const sons = pop.people.filter((p) => p.suffix === 'JNR');
    expect(sons.length).toBeGreaterThanOrEqual(10);
    for (const son of sons) {
      const father = pop.personById.get(son.sameNameAs as string) as Person;
      expect(father.suffix).toBe('SNR');
      expect([father.forenames, father.surname, father.uprn]).toEqual([son.forenames, son.surname, son.uprn]);
      expect(ageOn(father.dateOfBirth, pop.asOf) - ageOn(son.dateOfBirth, pop.asOf)).toBeGreaterThanOrEqual(20);
    }
  });

  it('moves some households from another address of the council, whose new occupants came after', () => {
    const movers = pop.households.filter((h) => h.previousUprn !== null);
    expect(movers.length / pop.households.length).toBeGreaterThan(0.05);
    const byUprn = new Map(pop.households.map((h) => [h.address.uprn, h]));
    for (const h of movers) {
      expect(h.previousUprn).not.toBe(h.address.uprn);
      const now = byUprn.get(h.previousUprn as number);
      if (now) expect(now.movedIn > h.movedIn).toBe(true);
    }
  });

  it('gives valid, unique NHS numbers, NI numbers, phones and emails', () => {
    const seen = new Set<string>();
    let nhs = 0;
    let nino = 0;
    for (const p of pop.people) {
      for (const v of [p.nhsNumber, p.nino, p.mobile, p.email]) {
        if (v === null) continue;
        expect(seen.has(v)).toBe(false);
        seen.add(v);
      }
      if (p.nhsNumber) nhs += Number(validateNhsNumber(p.nhsNumber).valid);
      if (p.nino) nino += Number(validateNino(p.nino).valid);
      if (p.mobile) expect(validatePhone(p.mobile).valid).toBe(true);
      if (p.landline) expect(validatePhone(p.landline).valid).toBe(true);
      if (p.email) expect(validateEmail(p.email).valid).toBe(true);
      if (p.nino) expect(ageOn(p.dateOfBirth, pop.asOf)).toBeGreaterThanOrEqual(16);
    }
    expect(nhs).toBe(pop.people.filter((p) => p.nhsNumber).length);
    expect(nino).toBe(pop.people.filter((p) => p.nino).length);
    const adults = pop.people.filter((p) => ageOn(p.dateOfBirth, pop.asOf) >= 18);
    expect(adults.filter((p) => p.nino).length / adults.length).toBeGreaterThan(0.85);
  });

  it('keeps married women’s previous surnames and registers disability more often with age', () => {
    expect(pop.people.filter((p) => p.previousSurname !== null && p.title === 'MRS').length).toBeGreaterThan(50);
    const rate = (lo: number, hi: number): number => {
      const group = pop.people.filter((p) => ageOn(p.dateOfBirth, pop.asOf) >= lo && ageOn(p.dateOfBirth, pop.asOf) < hi);
      return group.filter((p) => p.disabledSince !== null).length / group.length;
    };
    expect(rate(80, 120)).toBeGreaterThan(rate(18, 50));
    for (const p of pop.people) if (p.disabledSince) expect(p.disabledSince >= p.dateOfBirth && p.disabledSince <= pop.asOf).toBe(true);
  });
});
