/**
 * The address index held in memory with hash indexes: for tests, benchmarks
 * and small councils. Rows are prepared (normalised) once when built.
 */
import type { IndexedAddress } from '../../schemas/bs7666.js';
import type { CandidateSource, StreetScope } from './candidates.js';
import { normaliseName } from './normalise.js';
import { normalisePostcode, postcodeSector } from './postcode.js';
import { CandidateMemo, prepareCandidate } from './prepare.js';
import { buildVocabulary, type Vocabulary } from './vocabulary.js';

export interface MemorySourceData {
  rows: readonly IndexedAddress[];
  /** Cross references (e.g. council-tax references) with the UPRN each points at. */
  crossReferences?: readonly { crossReference: string; uprn: number }[];
  /** Retired UPRN → successor UPRN. */
  successors?: ReadonlyMap<number, number> | readonly { uprn: number; successor: number }[];
}

const refKey = (ref: string): string => ref.trim().toUpperCase();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export class MemoryCandidateSource implements CandidateSource {
  readonly vocabulary: Vocabulary;
  private readonly uprns = new Map<number, IndexedAddress[]>();
  private readonly postcodes = new Map<string, IndexedAddress[]>();
  private readonly streets = new Map<string, IndexedAddress[]>();
  /** Street name → town or locality → rows: narrows a common street name to one place. */
  private readonly streetPlaces = new Map<string, Map<string, IndexedAddress[]>>();
  private readonly sectorStreets = new Map<string, Set<string>>();
  private readonly townStreets = new Map<string, Set<string>>();
  private readonly xrefs = new Map<string, number[]>();
  private readonly successors = new Map<number, number>();
  /** Held while rows are added, then let go. */
  private memo: CandidateMemo | null = new CandidateMemo();
  private readonly sectors = new Map<string, string | null>();

  constructor(data: MemorySourceData, options: { deferRows?: boolean } = {}) {
    if (!options.deferRows) {
      for (const row of data.rows) this.addRow(row);
      this.built();
    }
    for (const x of data.crossReferences ?? []) push(this.xrefs, refKey(x.crossReference), x.uprn);
    const succ = data.successors ?? [];
    if (succ instanceof Map) for (const [from, to] of succ) this.successors.set(from, to);
    else for (const s of succ as readonly { uprn: number; successor: number }[]) this.successors.set(s.uprn, s.successor);
    this.vocabulary = buildVocabulary(data.rows);
  }

  /**
   * The same source built in slices, awaiting `pause` between them, so that a
   * server can keep answering while a large gazetteer is being indexed.
   */
  static async build(data: MemorySourceData, pause: () => Promise<void>, slice = 5000): Promise<MemoryCandidateSource> {
    const source = new MemoryCandidateSource(data, { deferRows: true });
    for (let i = 0; i < data.rows.length; i += slice) {
      const end = Math.min(data.rows.length, i + slice);
      for (let j = i; j < end; j++) source.addRow(data.rows[j] as IndexedAddress);
      await pause();
    }
    source.built();
    return source;
  }

  private built(): void {
    this.memo = null;
    this.sectors.clear();
  }

  private addRow(row: IndexedAddress): void {
    const p = prepareCandidate(row, this.memo ?? undefined);
    push(this.uprns, row.uprn, row);
    if (p.postcode) push(this.postcodes, p.postcode, row);
    const street = p.street ?? '';
    push(this.streets, street, row);
    let places = this.streetPlaces.get(street);
    if (!places) this.streetPlaces.set(street, (places = new Map()));
    if (p.town) push(places, p.town, row);
    if (p.locality && p.locality !== p.town) push(places, p.locality, row);
    let sector: string | null | undefined = null;
    if (p.postcode) {
      sector = this.sectors.get(p.postcode);
      if (sector === undefined) this.sectors.set(p.postcode, (sector = postcodeSector(p.postcode)));
    }
    if (sector) this.addStreet(this.sectorStreets, sector, street);
    if (p.town) this.addStreet(this.townStreets, p.town, street);
    if (p.locality) this.addStreet(this.townStreets, p.locality, street);
  }

  private addStreet(map: Map<string, Set<string>>, key: string, street: string): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(street);
  }

  byUprn(uprn: number): IndexedAddress[] {
    return this.uprns.get(uprn) ?? [];
  }

  byCrossReference(reference: string): IndexedAddress[] {
    return (this.xrefs.get(refKey(reference)) ?? []).flatMap((u) => this.byUprn(u));
  }

  byPostcode(postcode: string): IndexedAddress[] {
    const pc = normalisePostcode(postcode);
    return pc ? this.postcodes.get(pc) ?? [] : [];
  }

  byStreet(street: string, place?: string | null): IndexedAddress[] {
    const key = this.streets.has(street) ? street : normaliseName(street);
    const inPlace = place ? this.streetPlaces.get(key)?.get(place) : undefined;
    return inPlace ?? this.streets.get(key) ?? [];
  }

  streetNames(scope: StreetScope): string[] {
    if (!scope.sector && !scope.town) return [...this.streets.keys()];
    const names = new Set<string>();
    if (scope.sector) for (const s of this.sectorStreets.get(scope.sector) ?? []) names.add(s);
    if (scope.town) for (const s of this.townStreets.get(scope.town) ?? []) names.add(s);
    return [...names];
  }

  successorOf(uprn: number): number | null {
    return this.successors.get(uprn) ?? null;
  }
}
