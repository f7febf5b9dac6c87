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

function nameOrNull(s: string | null): string | null {
  if (!s) return null;
  const n = normaliseName(s);
  return n === '' ? null : n;
}

/**
 * Normalised forms of the gazetteer's repeated values (street, place and building names, postcodes), kept while a
 * large index is built: half a million rows hold a few thousand distinct names, each normalised once.
 */
export class CandidateMemo {
  private readonly names = new Map<string, string | null>();
  private readonly words = new Map<string, readonly string[]>();
  private readonly postcodes = new Map<string, string | null>();

  name(s: string | null): string | null {
    if (!s) return null;
    let n = this.names.get(s);
    if (n === undefined) this.names.set(s, (n = nameOrNull(s)));
    return n;
  }

  objectWords(text: string): readonly string[] {
    let w = this.words.get(text);
    if (w === undefined) this.words.set(text, (w = objectWords(text)));
    return w;
  }

  postcode(s: string | null): string | null {
    if (!s) return null;
    let p = this.postcodes.get(s);
    if (p === undefined) this.postcodes.set(s, (p = normalisePostcode(s)));
    return p;
  }
}

const objectWords = (text: string): string[] => tokenise(text).filter((t) => t !== ',' && !FILLER.has(t));

/** SAO or PAO with filler words dropped; a lone number or letter left in the text becomes the number or suffix. */
export function comparableObject(obj: AddressObject, memo?: CandidateMemo): ComparableObject {
  const out: ComparableObject = {
    start: obj.startNumber, startSuffix: obj.startSuffix ?? '', end: obj.endNumber, endSuffix: obj.endSuffix ?? '', text: '',
  };
  if (!obj.text) return out;
  const words = memo ? memo.objectWords(obj.text) : objectWords(obj.text);
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

/** No SAO, as most rows have: one object shared by them all, never changed. */
const NO_OBJECT: ComparableObject = Object.freeze({ start: null, startSuffix: '', end: null, endSuffix: '', text: '' });

/** The comparable form of a gazetteer row, computed once per row object (`memo` while building a whole index). */
export function prepareCandidate(row: IndexedAddress, memo?: CandidateMemo): PreparedCandidate {
  const hit = cache.get(row);
  if (hit) return hit;
  const street = (memo ? memo.name(row.street) : nameOrNull(row.street)) ?? '';
  const noSao = row.saoStartNumber === null && row.saoStartSuffix === null && row.saoText === null;
  const prepared: PreparedCandidate = {
    row,
    sao: noSao ? NO_OBJECT : comparableObject({
      startNumber: row.saoStartNumber, startSuffix: row.saoStartSuffix, endNumber: row.saoEndNumber, endSuffix: row.saoEndSuffix, text: row.saoText,
    }, memo),
    pao: comparableObject({
      startNumber: row.paoStartNumber, startSuffix: row.paoStartSuffix, endNumber: row.paoEndNumber, endSuffix: row.paoEndSuffix, text: row.paoText,
    }, memo),
    street,
    streetType: streetType(street),
    locality: memo ? memo.name(row.locality) : nameOrNull(row.locality),
    town: memo ? memo.name(row.town) : nameOrNull(row.town),
    postcode: memo ? memo.postcode(row.postcode) : normalisePostcode(row.postcode),
    organisation: memo ? memo.name(row.organisation) : nameOrNull(row.organisation),
    leftover: '',
  };
  cache.set(row, prepared);
  return prepared;
}
