import jaroWinklerSimilarity from 'talisman/metrics/jaro-winkler.js';
import { distance } from 'fastest-levenshtein';

/** Jaro-Winkler similarity in [0, 1] (talisman). */
export const jaroWinkler = (a: string, b: string): number => jaroWinklerSimilarity(a, b);

/** Levenshtein edit distance (fastest-levenshtein). */
export const editDistance = (a: string, b: string): number => distance(a, b);
