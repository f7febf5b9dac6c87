/**
 * Where the matcher gets its candidates: the address index, by whatever
 * holds it (memory for tests and benchmarks, PostgreSQL in the service).
 * Street names passed in and returned are normalised (normaliseName).
 */
import type { IndexedAddress } from '../../schemas/bs7666.js';

export type Awaitable<T> = T | Promise<T>;

export interface StreetScope {
  /** Postcode sector ("ZZ1 1"). */
  sector?: string | null;
  /** Normalised town or locality name. */
  town?: string | null;
}

export interface CandidateSource {
  /** Every LPI of the UPRN (approved, alternative, provisional, historic). */
  byUprn(uprn: number): Awaitable<IndexedAddress[]>;
  /** Every LPI of the UPRNs that a cross reference (e.g. a council-tax reference) points at. */
  byCrossReference(reference: string): Awaitable<IndexedAddress[]>;
  /** LPIs in a postcode unit (standard form, "ZZ1 1AB"). */
  byPostcode(postcode: string): Awaitable<IndexedAddress[]>;
  /**
   * LPIs on streets with this normalised name: those in the named town or
   * locality when there are any, otherwise those in every town.
   */
  byStreet(street: string, place?: string | null): Awaitable<IndexedAddress[]>;
  /**
   * Normalised street names within a sector or a town (both given: either; neither: all), used to rank
   * misspelt streets.
   */
  streetNames(scope: StreetScope): Awaitable<readonly string[]>;
  /** The successor of a retired UPRN, if the gazetteer names one. */
  successorOf(uprn: number): Awaitable<number | null>;
}
