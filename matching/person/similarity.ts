import jaroWinklerSimilarity from 'talisman/metrics/jaro-winkler.js';
import { distance } from 'fastest-levenshtein';

/**
 * Pairs remembered: the same forenames, surnames and streets meet again and again (at a million records, comparing
 * names was a tenth of linking's time), and a lookup costs a fraction of the measure. Emptied when full, so that
 * memory stays bounded; a result never depends on what is remembered.
 */
const REMEMBERED = 500_000;
const remembered = new Map<string, number>();

/** Jaro-Winkler similarity in [0, 1] (talisman). */
export function jaroWinkler(a: string, b: string): number {
  const key = `${a}\n${b}`;
  let similarity = remembered.get(key);
  if (similarity === undefined) {
    if (remembered.size >= REMEMBERED) remembered.clear();
    remembered.set(key, (similarity = jaroWinklerSimilarity(a, b)));
  }
  return similarity;
}

/** Levenshtein edit distance (fastest-levenshtein). */
export const editDistance = (a: string, b: string): number => distance(a, b);
