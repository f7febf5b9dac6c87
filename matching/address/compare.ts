/**
 * Field-by-field comparison of an input with one gazetteer row, each field
 * graded into a level. Levels say what agreed and how; score.ts turns them
 * into a score. Suffix differences (2 and 2A, FLAT 1 and FLAT 1A) get their
 * own level because they must never be decided by the other fields alone.
 */
import { distance } from 'fastest-levenshtein';
import type { ComparableAddress, ComparableObject } from './prepare.js';
import { comparePostcodes, type PostcodeLevel } from './postcode.js';

export type NumberLevel = 'exact' | 'range' | 'suffix-differs' | 'different' | 'input-missing' | 'candidate-missing' | 'none';
export type TextLevel = 'exact' | 'fuzzy' | 'contained' | 'different' | 'input-missing' | 'candidate-missing' | 'none';
export type SaoLevel = 'exact' | 'partial' | 'suffix-differs' | 'different' | 'input-missing' | 'candidate-missing' | 'none';
/** 'fuzzy': one slip of the keyboard; 'loose': two, which only a postcode that agrees can vouch for. */
export type StreetLevel = 'exact' | 'fuzzy' | 'loose' | 'type-differs' | 'different' | 'missing';
export type AreaLevel = 'exact' | 'fuzzy' | 'different' | 'missing';
export type OrganisationLevel = 'exact' | 'none';

export interface FieldLevels {
  sao: SaoLevel;
  paoNumber: NumberLevel;
  paoText: TextLevel;
  street: StreetLevel;
  locality: AreaLevel;
  town: AreaLevel;
  postcode: PostcodeLevel;
  organisation: OrganisationLevel;
}

/** Edits between two strings, a swap of neighbouring letters counting as one (optimal string alignment). */
export function slips(a: string, b: string): number {
  if (a === b) return 0;
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      row[j] = d;
    }
    before = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

/** Two names within a typing slip of each other: one edit for short names, two for longer ones. */
export function similarNames(a: string, b: string): boolean {
  const longest = Math.max(a.length, b.length);
  if (Math.abs(a.length - b.length) > 2 || longest < 4) return false;
  const budget = longest >= 8 ? 2 : 1;
  // Cheap bound first: most pairs differ by far more than the budget.
  return distance(a, b) <= 2 * budget && slips(a, b) <= budget;
}

const inRange = (n: number, o: ComparableObject): boolean =>
  o.start !== null && o.end !== null && n >= o.start && n <= o.end && (n - o.start) % 2 === 0;

/** 2-2A, 4A-4C: one number's lettered properties, told apart by the suffix alone. */
const suffixRun = (o: ComparableObject): boolean => o.end !== null && o.end === o.start;

export function compareNumbers(a: ComparableObject, b: ComparableObject): NumberLevel {
  if (a.start === null) return b.start === null ? 'none' : 'input-missing';
  if (b.start === null) return 'candidate-missing';
  if (a.start === b.start && a.end === b.end) {
    return a.startSuffix === b.startSuffix && a.endSuffix === b.endSuffix ? 'exact' : 'suffix-differs';
  }
  // 2-2A against 2 or 2A: the run names both, so which one is a suffix question, never one for the other fields.
  if (a.start === b.start && (suffixRun(a) || suffixRun(b))) return 'suffix-differs';
  // 12 against 12-14, 12-14 against 14: the same building written as a range or as one of its numbers.
  if (a.startSuffix === '' && b.startSuffix === '' && (inRange(a.start, b) || inRange(b.start, a) || (a.start === b.start))) return 'range';
  return 'different';
}

function tokenContained(small: string, large: string): boolean {
  const words = new Set(large.split(' '));
  return small.split(' ').every((w) => words.has(w));
}

export function compareText(a: string, b: string): TextLevel {
  if (a === '') return b === '' ? 'none' : 'input-missing';
  if (b === '') return 'candidate-missing';
  if (a === b) return 'exact';
  // A slip between names, never between numbers: PLOT 42 is not PLOT 44.
  if (similarNames(a, b) && !/\d/.test(a + b)) return 'fuzzy';
  if (tokenContained(b, a) || tokenContained(a, b)) return 'contained';
  return 'different';
}

const isEmpty = (o: ComparableObject): boolean => o.start === null && o.startSuffix === '' && o.text === '';

export function compareSao(a: ComparableObject, b: ComparableObject): SaoLevel {
  const ea = isEmpty(a);
  const eb = isEmpty(b);
  if (ea) return eb ? 'none' : 'input-missing';
  if (eb) return 'candidate-missing';
  if (a.start === null && b.start === null && (a.startSuffix !== '' || b.startSuffix !== '') && a.text === b.text) {
    return a.startSuffix === b.startSuffix ? 'exact' : 'suffix-differs';
  }
  const numbers = compareNumbers(a, b);
  const text = compareText(a.text, b.text);
  if (numbers === 'suffix-differs') return 'suffix-differs';
  if (numbers === 'different' || numbers === 'input-missing' || numbers === 'candidate-missing' || text === 'different') return 'different';
  if (numbers === 'exact' || numbers === 'none') {
    if (text === 'exact' || text === 'none') return 'exact';
    // A number with floor words on one side only ("FLAT 1" and "GROUND FLOOR FLAT 1") still names one unit.
    if (numbers === 'exact' && (text === 'input-missing' || text === 'candidate-missing')) return 'exact';
    return text === 'input-missing' || text === 'candidate-missing' ? 'different' : 'partial';
  }
  return 'partial';
}

export function compareStreet(input: ComparableAddress, cand: ComparableAddress): StreetLevel {
  const a = input.street;
  const b = cand.street;
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  if (input.streetType && cand.streetType && input.streetType !== cand.streetType) return 'type-differs';
  if (!similarNames(a, b)) return 'different';
  return slips(a, b) === 1 ? 'fuzzy' : 'loose';
}

function compareArea(a: string | null, b: string | null, other: string | null): AreaLevel {
  if (!a) return 'missing';
  if (!b) return a === other ? 'exact' : 'missing';
  if (a === b || a === other) return 'exact';
  // Place names tolerate one slip of a letter only: neighbouring places are often named alike (NORTH X 1, NORTH X 2).
  const slip = Math.abs(a.length - b.length) <= 1 && a.length >= 5 && !/\d/.test(a + b) && distance(a, b) <= 1;
  return slip ? 'fuzzy' : 'different';
}

function compareOrganisation(input: ComparableAddress, cand: ComparableAddress): OrganisationLevel {
  if (!cand.organisation) return 'none';
  const words = `${input.leftover} ${input.pao.text} ${input.sao.text}`;
  return tokenContained(cand.organisation, words) ? 'exact' : 'none';
}

/** Compare an input with a candidate row, field by field. */
export function compareAddress(input: ComparableAddress, cand: ComparableAddress): FieldLevels {
  let street = compareStreet(input, cand);
  let paoText = compareText(input.pao.text, cand.pao.text);
  // "5 RIVERSIDE COURT" where RIVERSIDE COURT is the building, not a street: the parser took it for the street.
  if (street !== 'exact' && input.street !== null && input.pao.text === '' && input.street === cand.pao.text) {
    street = 'missing';
    paoText = 'exact';
  }
  return {
    sao: compareSao(input.sao, cand.sao),
    paoNumber: compareNumbers(input.pao, cand.pao),
    paoText,
    street,
    // A locality given where the gazetteer has the town (or the reverse) still agrees.
    locality: compareArea(input.locality, cand.locality, cand.town),
    town: compareArea(input.town, cand.town, cand.locality),
    postcode: comparePostcodes(input.postcode, cand.postcode),
    organisation: compareOrganisation(input, cand),
  };
}
