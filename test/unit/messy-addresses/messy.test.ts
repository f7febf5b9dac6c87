import { describe, expect, it } from 'vitest';
import { councilAddresses, type CouncilAddress } from '../../../fixtures/council/generate.js';
import { messyAddresses, MESSY_KINDS, type MessyAddress } from '../../../fixtures/addresses/messy.js';
import { joinLine, lineOf } from '../../../fixtures/addresses/render.js';

const COUNCIL = { seed: 3, addresses: 8_000 };
const OPTIONS = { seed: 11, council: COUNCIL, count: 2_000 };

describe('messyAddresses', () => {
  const inputs = [...messyAddresses(OPTIONS)];
  const addresses = [...councilAddresses(COUNCIL)];
  const byUprn = new Map(addresses.map((a) => [a.uprn, a]));
  const ofKind = (kind: MessyAddress['kind']) => inputs.filter((m) => m.kind === kind);
  const truthOf = (m: MessyAddress): CouncilAddress => {
    const a = byUprn.get(m.truthUprn ?? -1);
    if (!a) throw new Error(`input ${m.id} has no council address`);
    return a;
  };
  const cleanLine = (a: CouncilAddress) => joinLine(lineOf(a, a));

  it('is deterministic and gives exactly `count` inputs with unique ids', () => {
    expect(JSON.stringify([...messyAddresses(OPTIONS)])).toBe(JSON.stringify(inputs));
    expect(inputs).toHaveLength(OPTIONS.count);
    expect(new Set(inputs.map((m) => m.id)).size).toBe(OPTIONS.count);
    expect(JSON.stringify([...messyAddresses({ ...OPTIONS, seed: 12 })])).not.toBe(JSON.stringify(inputs));
  });

  it('makes every class, mostly clean or lightly messy', () => {
    for (const kind of MESSY_KINDS) expect(ofKind(kind).length, kind).toBeGreaterThan(0);
    const light = ofKind('clean').length + ofKind('abbreviation').length;
    expect(light / inputs.length).toBeGreaterThan(0.5);
  });

  it('gives truth UPRNs that are current council addresses, and null only for addresses not in the gazetteer', () => {
    for (const m of inputs) {
      if (m.kind === 'not-in-gazetteer') expect(m.truthUprn).toBeNull();
      else expect(byUprn.has(m.truthUprn ?? -1), m.id).toBe(true);
    }
  });

  it('writes clean addresses that name one property of the council', () => {
    const lines = new Map<string, number>();
    for (const a of addresses) lines.set(cleanLine(a), (lines.get(cleanLine(a)) ?? 0) + 1);
    for (const m of ofKind('clean')) {
      const a = truthOf(m);
      expect(m.address.toUpperCase()).toContain(cleanLine(a));
      expect(lines.get(cleanLine(a))).toBe(1);
    }
  });

  it('makes not-in-gazetteer addresses that really are absent', () => {
    const numbers = new Map<string, Set<number>>();
    for (const a of addresses) {
      for (const p of [a, ...a.otherLpis]) {
        const key = `${a.town}|${a.street}`;
        const set = numbers.get(key) ?? new Set<number>();
        for (let n = p.paoStartNumber ?? 0; n <= (p.paoEndNumber ?? p.paoStartNumber ?? 0); n++) set.add(n);
        numbers.set(key, set);
      }
    }
    const streets = new Set(addresses.map((a) => a.street));
    for (const m of ofKind('not-in-gazetteer')) {
      const parts = m.address.split(', ');
      const [, number, street] = /^(\d+) (.+)$/.exec(parts[0] ?? '') ?? [];
      const town = parts[parts.length - 1];
      expect(street, m.address).toBeDefined();
      if (streets.has(street!)) expect(numbers.get(`${town}|${street}`)?.has(Number(number)), m.address).toBe(false);
    }
    expect(ofKind('not-in-gazetteer').some((m) => !streets.has(/^\d+ ([^,]+)/.exec(m.address)?.[1] ?? ''))).toBe(true);
  });

  it('spoils each class the way its name says', () => {
    for (const m of ofKind('missing-postcode')) {
      expect(m.postcode).toBe('');
      expect(m.address.toUpperCase()).not.toContain(truthOf(m).postcode);
    }
    for (const m of ofKind('wrong-postcode')) expect(m.postcode).not.toBe(truthOf(m).postcode);
    for (const kind of ['abbreviation', 'typo', 'flat', 'building-name', 'wrong-locality'] as const) {
      for (const m of ofKind(kind)) expect(`${m.address} ${m.postcode}`.trim(), `${kind} ${m.address}`).not.toBe(`${cleanLine(truthOf(m))} ${truthOf(m).postcode}`);
    }
    for (const m of ofKind('range')) expect(m.address).toMatch(/\d+( ?- ?|\/)\d+ /);
    for (const m of ofKind('range')) expect(m.address).not.toContain(`${truthOf(m).paoStartNumber}-${truthOf(m).paoEndNumber}`);
    for (const m of ofKind('historic')) {
      const a = truthOf(m);
      expect(a.otherLpis.map((l) => joinLine(lineOf(l, a)))).toContain(m.address.replace(` ${a.postcode}`, ''));
    }
    const suffixes = ofKind('suffix').map((m) => truthOf(m));
    expect(suffixes.some((a) => a.paoStartSuffix === null && a.saoStartSuffix === null)).toBe(true);
    for (const m of ofKind('suffix')) {
      const a = truthOf(m);
      if (a.paoStartSuffix) expect(m.address).not.toContain(`${a.paoStartNumber}${a.paoStartSuffix} `);
    }
  });
});
