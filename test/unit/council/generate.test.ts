import { isValid } from 'postcode';
import { describe, expect, it } from 'vitest';
import type { GazetteerRecord } from '../../../schemas/bs7666.js';
import { councilAddresses, generateCouncil, residentialAddresses } from '../../../fixtures/council/generate.js';

const council = (seed: number, addresses: number): GazetteerRecord[] => [...generateCouncil({ seed, addresses })];
type DataOf = { [R in GazetteerRecord as R['type']]: R['data'] };
function of<T extends keyof DataOf>(records: GazetteerRecord[], type: T): DataOf[T][] {
  return records.filter((r) => r.type === type).map((r) => r.data as DataOf[T]);
}

describe('generateCouncil', () => {
  const records = council(1, 20_000);
  const blpus = of(records, 21);
  const lpis = of(records, 24);
  const descriptors = of(records, 15);
  const streetOf = new Map(descriptors.map((d) => [d.usrn, d]));

  it('is deterministic: same seed and size give the same records, another seed differs', () => {
    expect(JSON.stringify(council(7, 3_000))).toBe(JSON.stringify(council(7, 3_000)));
    expect(JSON.stringify(council(8, 3_000))).not.toBe(JSON.stringify(council(7, 3_000)));
  });

  it('has unique UPRNs (12 digits at most), USRNs (8 at most) and keys', () => {
    const uprns = blpus.map((b) => b.uprn);
    expect(new Set(uprns).size).toBe(uprns.length);
    expect(Math.max(...uprns)).toBeLessThan(1e12);
    const usrns = descriptors.map((d) => d.usrn);
    expect(new Set(usrns).size).toBe(usrns.length);
    expect(Math.max(...usrns)).toBeLessThan(1e8);
    const keys = [...lpis.map((l) => l.lpiKey), ...of(records, 32).map((c) => c.classKey), ...of(records, 23).map((x) => x.xrefKey)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(of(records, 28).map((d) => d.udprn)).size).toBe(of(records, 28).length);
  });

  it('gives every postcode as a valid unit shared by 10-40 addresses, one outward code per town area', () => {
    const units = new Map<string, number>();
    for (const b of blpus) {
      expect(isValid(b.postcodeLocator ?? '')).toBe(true);
      expect(b.postcodeLocator).toMatch(/^[A-Z]{2}\d{1,2} \d[ABD-HJLNP-UW-Z]{2}$/);
      if (b.logicalStatus === 1 && b.blpuClass !== 'PP') units.set(b.postcodeLocator!, (units.get(b.postcodeLocator!) ?? 0) + 1);
    }
    const sizes = [...units.values()].sort((a, b) => a - b);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(10);
    expect(median).toBeLessThanOrEqual(40);
    const townsByOutward = new Map<string, Set<string>>();
    for (const l of lpis) {
      const outward = l.postcode!.split(' ')[0]!;
      townsByOutward.set(outward, (townsByOutward.get(outward) ?? new Set()).add(l.postTown!));
    }
    for (const towns of townsByOutward.values()) expect(towns.size).toBe(1);
  });

  it('has six or more towns, each with localities', () => {
    const towns = new Map<string, Set<string>>();
    for (const d of descriptors) if (d.locality) towns.set(d.town!, (towns.get(d.town!) ?? new Set()).add(d.locality));
    expect(towns.size).toBeGreaterThanOrEqual(6);
    for (const localities of towns.values()) expect(localities.size).toBeGreaterThanOrEqual(2);
  });

  it('has the street naming traps: near-duplicates, one name in two localities, ST and STREET', () => {
    const inTown = (town: string) => new Set(descriptors.filter((d) => d.town === town).map((d) => d.description));
    const firstTown = descriptors[0]!.town!;
    expect(inTown(firstTown)).toContain('MILL LANE');
    expect(inTown(firstTown)).toContain('MILL ROAD');
    const localitiesOf = new Map<string, Set<string | null>>();
    for (const d of descriptors) {
      const key = `${d.town}|${d.description}`;
      localitiesOf.set(key, (localitiesOf.get(key) ?? new Set()).add(d.locality));
    }
    expect([...localitiesOf.values()].filter((s) => s.size > 1).length).toBeGreaterThan(5);
    expect(descriptors.some((d) => /^ST [A-Z]+ /.test(d.description))).toBe(true);
    expect(descriptors.some((d) => / STREET$/.test(d.description))).toBe(true);
  });

  it('has suffixes, ranges, named houses without numbers and named buildings with numbers', () => {
    const current = lpis.filter((l) => l.logicalStatus === 1);
    expect(current.some((l) => l.paoStartSuffix === 'A')).toBe(true);
    expect(current.some((l) => l.paoStartSuffix === 'B')).toBe(true);
    expect(current.some((l) => l.paoEndNumber !== null && l.paoEndNumber > l.paoStartNumber!)).toBe(true);
    expect(current.some((l) => l.paoText === 'ROSE COTTAGE' && l.paoStartNumber === null)).toBe(true);
    expect(current.some((l) => l.paoText !== null && l.paoStartNumber !== null && l.saoText === 'FLAT')).toBe(true);
  });

  it('has parent shells with child flats: FLAT n, floor names and a suffixed SAO number', () => {
    const shells = new Set(blpus.filter((b) => b.blpuClass === 'PP').map((b) => b.uprn));
    const children = blpus.filter((b) => b.parentUprn !== null);
    expect(shells.size).toBeGreaterThan(50);
    for (const c of children) expect(shells.has(c.parentUprn!)).toBe(true);
    const childUprns = new Set(children.map((c) => c.uprn));
    const childSaos = lpis.filter((l) => l.logicalStatus === 1 && childUprns.has(l.uprn));
    expect(childSaos.some((l) => l.saoText === 'FLAT' && l.saoStartNumber === 1)).toBe(true);
    expect(childSaos.some((l) => l.saoText === 'GROUND FLOOR FLAT')).toBe(true);
    expect(childSaos.some((l) => l.saoText === 'FIRST FLOOR FLAT')).toBe(true);
    expect(childSaos.some((l) => l.saoStartSuffix === 'A' && l.saoText === null)).toBe(true);
  });

  it('keeps historic and alternative LPIs, retired properties with successors', () => {
    const historic = lpis.filter((l) => l.logicalStatus === 8);
    expect(historic.length).toBeGreaterThan(50);
    for (const h of historic) expect(h.endDate).not.toBeNull();
    expect(lpis.filter((l) => l.logicalStatus === 3).length).toBeGreaterThan(50);
    const successors = of(records, 30);
    expect(successors.length).toBeGreaterThan(0);
    const byUprn = new Map(blpus.map((b) => [b.uprn, b]));
    for (const s of successors) {
      expect(byUprn.get(s.uprn)?.logicalStatus).toBe(8);
      expect(byUprn.get(s.successor)?.logicalStatus).toBe(1);
    }
  });

  it('classifies every BLPU, cross-references dwellings to council tax and gives organisations to commercial units', () => {
    const classified = new Set(of(records, 32).map((c) => c.uprn));
    for (const b of blpus) expect(classified.has(b.uprn)).toBe(true);
    const ctax = of(records, 23).filter((x) => x.source === '7666VC');
    expect(ctax.length).toBeGreaterThan(15_000);
    for (const x of ctax) expect(x.crossReference).toMatch(/^CTR\d{8}$/);
    const orgs = of(records, 31).map((o) => o.organisation);
    expect(orgs.some((o) => o.includes(','))).toBe(true);
    expect(orgs.some((o) => o.includes('"'))).toBe(true);
    const classOf = new Map(of(records, 32).map((c) => [c.uprn, c.code]));
    for (const o of of(records, 31)) expect(classOf.get(o.uprn)).toMatch(/^C[RO]/);
  });

  it('gives a delivery point to every current addressable property, matching its LPI street and postcode', () => {
    const dps = of(records, 28);
    expect(dps.length).toBe(20_000);
    const blpu = new Map(blpus.map((b) => [b.uprn, b]));
    const lpiOf = new Map(lpis.filter((l) => l.logicalStatus === 1).map((l) => [l.uprn, l]));
    for (const dp of dps) {
      expect(dp.postcode).toBe(blpu.get(dp.uprn)!.postcodeLocator);
      expect(dp.thoroughfare).toBe(streetOf.get(lpiOf.get(dp.uprn)!.usrn)!.description);
    }
  });

  it('makes about the requested number of addressable LPIs at any size', () => {
    for (const size of [1_000, 50_000]) {
      let approved = 0;
      const shells = new Set<number>();
      const historicBlpus = new Set<number>();
      for (const r of generateCouncil({ seed: 3, addresses: size })) {
        if (r.type === 21 && r.data.blpuClass === 'PP') shells.add(r.data.uprn);
        if (r.type === 21 && r.data.logicalStatus === 8) historicBlpus.add(r.data.uprn);
        if (r.type === 24 && r.data.logicalStatus === 1 && !shells.has(r.data.uprn) && !historicBlpus.has(r.data.uprn)) approved++;
      }
      expect(approved).toBeGreaterThanOrEqual(size * 0.97);
      expect(approved).toBeLessThanOrEqual(size * 1.03);
    }
  });
});

describe('councilAddresses / residentialAddresses', () => {
  it('agree with generateCouncil for the same seed and size', () => {
    const records = council(5, 4_000);
    const approved = new Map(of(records, 24).filter((l) => l.logicalStatus === 1).map((l) => [l.uprn, l]));
    const ctax = new Map(of(records, 23).map((x) => [x.uprn, x.crossReference]));
    const all = [...councilAddresses({ seed: 5, addresses: 4_000 })];
    expect(all.length).toBe(4_000);
    for (const a of all) {
      const l = approved.get(a.uprn)!;
      expect([a.paoStartNumber, a.paoStartSuffix, a.paoText, a.saoText, a.saoStartNumber, a.postcode])
        .toEqual([l.paoStartNumber, l.paoStartSuffix, l.paoText, l.saoText, l.saoStartNumber, l.postcode]);
      expect(a.councilTaxRef ?? a.businessRatesRef).toBe(ctax.get(a.uprn));
    }
    const residents = [...residentialAddresses({ seed: 5, addresses: 4_000 })];
    expect(residents.length).toBe(all.filter((a) => a.kind === 'residential').length);
    for (const a of residents) expect(a.councilTaxRef).toMatch(/^CTR\d{8}$/);
  });
});
