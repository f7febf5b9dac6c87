import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultMapping, readAndMap, type MappedItem } from '../../../adapters/mapping/index.js';
import { FIXTURE_SYSTEMS, writeExtracts, type ExtractsManifest, type FixtureSystem } from '../../../fixtures/people/extracts.js';
import { generatePopulation } from '../../../fixtures/people/population.js';
import type { SourceRecord } from '../../../schemas/source-record.js';

const options = { seed: 2, council: { seed: 2, addresses: 4_000 } };
const TODAY = '2026-01-01';

interface Mapped {
  records: SourceRecord[];
  rejects: { rule: string; message: string; raw: string | null }[];
}

async function mapFile(system: FixtureSystem, path: string): Promise<Mapped> {
  const mapping = await loadDefaultMapping(system);
  const out: Mapped = { records: [], rejects: [] };
  for await (const m of readAndMap(mapping, createReadStream(path), { today: TODAY }, { path }) as AsyncGenerator<MappedItem>) {
    if ('record' in m) out.records.push(m.record);
    else out.rejects.push({ rule: m.reject.rule, message: m.reject.message, raw: m.raw });
  }
  return out;
}

let dir: string;
let manifest: ExtractsManifest;
const mapped = new Map<string, Mapped>();
let truth: { system: string; source_ref: string; person_id: string; uprn: string }[];
const key = (system: string, ref: string): string => `${system}|${ref}`;
let truthByKey: Map<string, { person_id: string; uprn: string }>;
const pop = generatePopulation(options);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'people-'));
  manifest = await writeExtracts(dir, options);
  for (const system of FIXTURE_SYSTEMS) {
    const s = manifest.systems[system];
    mapped.set(s.main.file, await mapFile(system, join(dir, s.main.file)));
    mapped.set(s.update.file, await mapFile(system, join(dir, s.update.file)));
  }
  truth = parse(await readFile(join(dir, 'truth.csv')), { columns: true }) as typeof truth;
  truthByKey = new Map(truth.map((t) => [key(t.system, t.source_ref), t]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const EXPECTED_REJECT_RULES: Record<FixtureSystem, RegExp> = {
  revenues: /^unreadable: unclosed-quote/,
  housing: /^required: a name without a surname/,
  'social-care': /^unreadable: invalid-json/,
  smartcard: /^(required: a name without a surname|unreadable: wrong-column-count)/,
};

describe('writeExtracts', () => {
  it('writes the same bytes for the same seed and different ones for another', async () => {
    const hashes = async (d: string): Promise<string[]> => {
      const files = (await readdir(d)).sort();
      return Promise.all(files.map(async (f) => `${f}:${createHash('sha256').update(await readFile(join(d, f))).digest('hex')}`));
    };
    const again = await mkdtemp(join(tmpdir(), 'people-'));
    const other = await mkdtemp(join(tmpdir(), 'people-'));
    try {
      await writeExtracts(again, options);
      await writeExtracts(other, { ...options, seed: 3 });
      const base = await hashes(dir);
      expect(await hashes(again)).toEqual(base);
      const differing = (await hashes(other)).filter((h) => !base.includes(h));
      expect(differing.length).toBeGreaterThan(5);
    } finally {
      await rm(again, { recursive: true, force: true });
      await rm(other, { recursive: true, force: true });
    }
  });

  for (const system of FIXTURE_SYSTEMS) {
    it(`${system}: the shipped mapping accepts the expected records and rejects only the injected ones`, () => {
      const s = manifest.systems[system];
      const main = mapped.get(s.main.file) as Mapped;
      expect(main.records.length).toBe(s.main.records);
      expect(main.rejects.length).toBe(s.main.rejects);
      expect(s.main.rejects).toBeGreaterThan(0);
      for (const r of main.rejects) expect(`${r.rule}: ${r.message}`).toMatch(EXPECTED_REJECT_RULES[system]);
      const update = mapped.get(s.update.file) as Mapped;
      expect(update.rejects).toEqual([]);
      expect(update.records.length).toBe(s.update.records);
      expect(update.records.length).toBeGreaterThan(0);
    });

    it(`${system}: truth names a person and UPRN for exactly the accepted records, and they agree with the record`, () => {
      const s = manifest.systems[system];
      const main = mapped.get(s.main.file) as Mapped;
      const refs = new Set(main.records.map((r) => r.sourceRef));
      const truthRefs = new Set(truth.filter((t) => t.system === system).map((t) => t.source_ref));
      expect(truthRefs).toEqual(refs);
      let dobAgrees = 0;
      let dobs = 0;
      for (const r of main.records) {
        const t = truthByKey.get(key(system, r.sourceRef));
        const person = pop.personById.get(t?.person_id ?? '');
        expect(person).toBeDefined();
        const address = pop.addressByUprn.get(Number(t?.uprn));
        expect(address).toBeDefined();
        const a = r.addresses[0];
        if (a?.uprn != null) expect(a.uprn).toBe(address?.uprn);
        if (a?.crossReference) expect(a.crossReference).toBe(address?.councilTaxRef);
        if (a?.postcode) expect(a.postcode).toBe(address?.postcode);
        if (r.dateOfBirth) {
          dobs += 1;
          dobAgrees += Number(r.dateOfBirth === person?.dateOfBirth);
        }
      }
      expect(dobs).toBeGreaterThan(0);
      expect(dobAgrees / dobs).toBeGreaterThan(0.95);
      expect(dobAgrees / dobs).toBeLessThan(1);
    });

    it(`${system}: the update file holds later versions of records already in the extract`, () => {
      const s = manifest.systems[system];
      const main = mapped.get(s.main.file) as Mapped;
      const first = new Map(main.records.map((r) => [r.sourceRef, r]));
      for (const r of (mapped.get(s.update.file) as Mapped).records) {
        const before = first.get(r.sourceRef);
        expect(before).toBeDefined();
        expect(JSON.stringify(r)).not.toBe(JSON.stringify(before));
        if (r.sourceUpdatedAt && before?.sourceUpdatedAt) expect(r.sourceUpdatedAt > before.sourceUpdatedAt).toBe(true);
      }
    });
  }

  it('repeats a few records unchanged (duplicate rows)', () => {
    const main = mapped.get('revenues.csv') as Mapped;
    const seen = new Map<string, number>();
    for (const r of main.records) seen.set(r.sourceRef, (seen.get(r.sourceRef) ?? 0) + 1);
    expect([...seen.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
  });

  it('makes the errors real systems make: invalid identifiers, nicknames, abbreviations, missing postcodes, old addresses', () => {
    const all = [...mapped.values()].flatMap((m) => m.records);
    const ids = all.flatMap((r) => r.identifiers.filter((i) => i.scheme === 'nino' || i.scheme === 'nhs-number'));
    const invalid = ids.filter((i) => !i.valid).length;
    expect(invalid).toBeGreaterThan(0);
    expect(invalid / ids.length).toBeLessThan(0.03);
    expect(all.some((r) => r.names.some((n) => n.kind === 'alias'))).toBe(true);
    expect(all.some((r) => r.addresses[0]?.lines.some((l) => / (RD|ST|AVE)$/.test(l)))).toBe(true);
    expect(all.filter((r) => r.addresses[0]?.postcode === null).length).toBeGreaterThan(0);
    expect(all.filter((r) => r.dateOfBirth === null).length).toBeGreaterThan(0);
    const revenues = (mapped.get('revenues.csv') as Mapped).records;
    const names = revenues.map((r) => r.names[0]?.forenames[0] ?? '');
    expect(names.filter((f) => f.length === 1).length).toBeGreaterThan(0);
    const person = (r: SourceRecord, system: string) => pop.personById.get(truthByKey.get(key(system, r.sourceRef))?.person_id ?? '');
    const nicknamed = revenues.filter((r) => {
      const first = person(r, 'revenues')?.forenames[0];
      const written = r.names[0]?.forenames[0];
      return first && written && written.length > 1 && written !== first && !first.startsWith(written);
    });
    expect(nicknamed.length).toBeGreaterThan(0);
    const stale = truth.filter((t) => t.system !== 'revenues' && pop.personById.get(t.person_id)?.uprn !== Number(t.uprn));
    expect(stale.length).toBeGreaterThan(0);
    for (const t of stale) expect(pop.personById.get(t.person_id)?.previousUprn).toBe(Number(t.uprn));
  });

  it('lists in variations.csv what each record varies, and the records show it', async () => {
    const rows = parse(await readFile(join(dir, 'variations.csv')), { columns: true }) as { system: string; source_ref: string; variations: string }[];
    const recordOf = new Map([...mapped.entries()].filter(([f]) => !f.includes('-update')).flatMap(([, m]) => m.records.map((r) => [key(r.system, r.sourceRef), r] as const)));
    const kinds = new Set<string>();
    for (const v of rows) {
      const record = recordOf.get(key(v.system, v.source_ref));
      const t = truthByKey.get(key(v.system, v.source_ref));
      const person = pop.personById.get(t?.person_id ?? '');
      expect(record && person).toBeTruthy();
      if (!record || !person) continue;
      for (const kind of v.variations.split(';')) {
        kinds.add(kind);
        if (kind === 'dob-transposed') expect(record.dateOfBirth).toBe(`${person.dateOfBirth.slice(0, 4)}-${person.dateOfBirth.slice(8)}-${person.dateOfBirth.slice(5, 7)}`);
        if (kind === 'dob-missing') expect(record.dateOfBirthRaw).toBeNull();
        if (kind === 'old-address') expect(Number(t?.uprn)).toBe(person.previousUprn);
        if (kind === 'nickname') expect(record.names[0]?.forenames[0]).not.toBe(person.forenames[0]);
        if (kind === 'previous-surname' && !v.variations.includes('surname-typo')) expect(record.names[0]?.surname).toBe(person.previousSurname);
        if (kind === 'postcode-missing') expect(record.addresses[0]?.postcode ?? null).toBeNull();
        if (kind === 'invalid-nino' || kind === 'invalid-nhs-number') expect(record.identifiers.some((i) => !i.valid)).toBe(true);
      }
    }
    for (const kind of ['nickname', 'forename-typo', 'surname-typo', 'previous-surname', 'initials-only', 'dob-missing', 'dob-transposed', 'street-abbreviated', 'postcode-missing', 'old-address', 'closed-at-old-address', 'invalid-nino']) {
      expect(kinds).toContain(kind);
    }
  });

  it('puts both twins and both father and son of the same name into the extracts', () => {
    const inExtracts = new Set(truth.map((t) => t.person_id));
    const twins = pop.people.filter((p) => p.twinOf && p.id < p.twinOf && inExtracts.has(p.id) && inExtracts.has(p.twinOf));
    const fathers = pop.people.filter((p) => p.suffix === 'SNR' && p.sameNameAs && inExtracts.has(p.id) && inExtracts.has(p.sameNameAs));
    expect(twins.length).toBeGreaterThanOrEqual(3);
    expect(fathers.length).toBeGreaterThanOrEqual(3);
    expect(manifest.hardCases).toBeGreaterThanOrEqual(twins.length + fathers.length);
  });

  it('gives older people the older person’s concession and registered disabled people a disability entitlement', () => {
    const cards = (mapped.get('smartcard.csv') as Mapped).records;
    const oap = cards.filter((r) => r.entitlements.some((e) => e.kind === 'older-person-concession'));
    expect(oap.length).toBeGreaterThan(0);
    for (const r of oap) {
      const p = pop.personById.get(truthByKey.get(key('smartcard', r.sourceRef))?.person_id ?? '');
      expect(p && p.dateOfBirth <= '1959-06-30').toBe(true);
    }
    const care = (mapped.get('social-care.jsonl') as Mapped).records;
    const disabled = care.filter((r) => r.entitlements.some((e) => e.kind === 'disability' && e.evidence.verified));
    expect(disabled.length).toBeGreaterThan(0);
    for (const r of disabled) expect(pop.personById.get(truthByKey.get(key('social-care', r.sourceRef))?.person_id ?? '')?.disabledSince).not.toBeNull();
  });
});
