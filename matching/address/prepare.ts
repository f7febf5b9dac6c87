/**
 * Comparable forms of an address, built once per gazetteer row (cached) and
 * once per parsed input: SAO and PAO with unit and floor filler words taken
 * out ("FLAT 3" and "3" are the same SAO, "GROUND FLOOR FLAT" is "GROUND"),
 * street split into name and type word, postcode in standard form.
 */
import type { IndexedAddress } from '../../schemas/bs7666.js';
import { UNIT_WORDS, normaliseName, streetType, tokenise } from './normalise.js';
import { readNumber, type AddressObject, type ParsedAddress } from './parse.js';
import { normalisePostcode } from './postcode.js';

export interface ComparableObject {
  start: number | null;
  startSuffix: string;
  end: number | null;
  endSuffix: string;
  /** Meaningful words only, space separated; '' when none. */
  text: string;
}

export interface ComparableAddress {
  sao: ComparableObject;
  pao: ComparableObject;
  street: string | null;
  streetType: string | null;
  locality: string | null;
  town: string | null;
  postcode: string | null;
  organisation: string | null;
  /** Words not placed by the parser (inputs only): matched against organisation names. */
  leftover: string;
}

export interface PreparedCandidate extends ComparableAddress {
  row: IndexedAddress;
}

const FILLER = new Set([...UNIT_WORDS, 'FLOOR']);

/** SAO or PAO with filler words dropped; a lone number or letter left in the text becomes the number or suffix. */
export function comparableObject(obj: AddressObject): ComparableObject {
  const out: ComparableObject = {
    start: obj.startNumber, startSuffix: obj.startSuffix ?? '', end: obj.endNumber, endSuffix: obj.endSuffix ?? '', text: '',
  };
  if (!obj.text) return out;
  const words = tokenise(obj.text).filter((t) => t !== ',' && !FILLER.has(t));
  if (words.length === 1) {
    const only = words[0] as string;
    const n = out.start === null ? readNumber(only) : null;
    if (n) {
      out.start = n.start;
      out.startSuffix = n.startSuffix ?? '';
      out.end = n.end;
      out.endSuffix = n.endSuffix ?? '';
      return out;
    }
    if (/^[A-Z]$/.test(only) && out.startSuffix === '') {
      out.startSuffix = only;
      return out;
    }
  }
  out.text = words.join(' ');
  return out;
}

const nameOrNull = (s: string | null): string | null => {
  if (!s) return null;
  const n = normaliseName(s);
  return n === '' ? null : n;
};

/** The comparable form of a parsed input. */
export function prepareInput(parsed: ParsedAddress): ComparableAddress {
  const street = parsed.street ? normaliseName(parsed.street) : null;
  return {
    sao: comparableObject(parsed.sao),
    pao: comparableObject(parsed.pao),
    street,
    streetType: street ? streetType(street) : null,
    locality: nameOrNull(parsed.locality),
    town: nameOrNull(parsed.town),
    postcode: parsed.postcode,
    organisation: null,
    leftover: parsed.leftover.join(' '),
  };
}

const cache = new WeakMap<IndexedAddress, PreparedCandidate>();

/** The comparable form of a gazetteer row, computed once per row object. */
export function prepareCandidate(row: IndexedAddress): PreparedCandidate {
  const hit = cache.get(row);
  if (hit) return hit;
  const street = normaliseName(row.street);
  const prepared: PreparedCandidate = {
    row,
    sao: comparableObject({
      startNumber: row.saoStartNumber, startSuffix: row.saoStartSuffix, endNumber: row.saoEndNumber, endSuffix: row.saoEndSuffix, text: row.saoText,
    }),
    pao: comparableObject({
      startNumber: row.paoStartNumber, startSuffix: row.paoStartSuffix, endNumber: row.paoEndNumber, endSuffix: row.paoEndSuffix, text: row.paoText,
    }),
    street,
    streetType: streetType(street),
    locality: nameOrNull(row.locality),
    town: nameOrNull(row.town),
    postcode: normalisePostcode(row.postcode),
    organisation: nameOrNull(row.organisation),
    leftover: '',
  };
  cache.set(row, prepared);
  return prepared;
}
