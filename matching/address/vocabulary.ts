/**
 * The loaded gazetteer's own street, locality and town names, normalised, so
 * the parser can tell "NORTHBY" is a locality and "MILL LANE" a street
 * instead of guessing from word shapes.
 */
import type { IndexedAddress } from '../../schemas/bs7666.js';
import { normaliseName } from './normalise.js';

export interface Vocabulary {
  streets: ReadonlySet<string>;
  localities: ReadonlySet<string>;
  towns: ReadonlySet<string>;
  /** The most words in any name: the longest span worth looking up. */
  maxWords: number;
}

export interface VocabularyNames {
  streets: Iterable<string>;
  localities: Iterable<string>;
  towns: Iterable<string>;
}

function addName(set: Set<string>, name: string | null, counter: { max: number }): void {
  if (!name) return;
  const n = normaliseName(name);
  if (n === '' || set.has(n)) return;
  set.add(n);
  const words = n.split(' ').length;
  if (words > counter.max) counter.max = words;
}

/** Build the vocabulary from address index rows or from lists of names. */
export function buildVocabulary(source: readonly IndexedAddress[] | VocabularyNames): Vocabulary {
  const streets = new Set<string>();
  const localities = new Set<string>();
  const towns = new Set<string>();
  const counter = { max: 1 };
  if (Array.isArray(source)) {
    const seenUsrn = new Set<number>();
    for (const row of source as readonly IndexedAddress[]) {
      if (seenUsrn.has(row.usrn)) continue;
      seenUsrn.add(row.usrn);
      addName(streets, row.street, counter);
      addName(localities, row.locality, counter);
      addName(towns, row.town, counter);
    }
  } else {
    const names = source as VocabularyNames;
    for (const s of names.streets) addName(streets, s, counter);
    for (const s of names.localities) addName(localities, s, counter);
    for (const s of names.towns) addName(towns, s, counter);
  }
  return { streets, localities, towns, maxWords: counter.max };
}

/** A vocabulary that knows nothing: the parser then relies on word shapes alone. */
export const EMPTY_VOCABULARY: Vocabulary = { streets: new Set(), localities: new Set(), towns: new Set(), maxWords: 1 };
