/**
 * Postcodes: validation and formatting by the `postcode` package; repair of
 * what people and old systems do to them (no space, lower case, O for 0 and
 * I for 1 or the reverse); finding one written inside the address text.
 */
import { isValid, toNormalised, toOutcode, toSector } from 'postcode';

/**
 * Letter rules the `postcode` package does not check, which tell a misread
 * character from a real one: the unit letters never use C I K M O V, and a
 * letter closing the outward code is one of a few (A9A, AA9A). Area letters
 * are left alone so that fictional areas such as ZZ stay usable.
 */
function lettersAllowed(compact: string): boolean {
  if (/[CIKMOV]/.test(compact.slice(-2))) return false;
  const outward = compact.slice(0, -3);
  if (/^[A-Z]\d[A-Z]$/.test(outward)) return /[ABCDEFGHJKPSTUW]$/.test(outward);
  if (/^[A-Z]{2}\d[A-Z]$/.test(outward)) return /[ABEHMNPRVWXY]$/.test(outward);
  return true;
}

/** The postcode in standard form ("ZZ1 1AB"), or null when it is not a valid postcode as written. */
export function normalisePostcode(text: string | null | undefined): string | null {
  if (!text) return null;
  const compact = text.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return compact.length >= 5 && compact.length <= 7 && isValid(compact) && lettersAllowed(compact) ? toNormalised(compact) : null;
}

const TO_DIGIT: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };
const TO_LETTER: Readonly<Record<string, string>> = { '0': 'O', '1': 'I' };

/**
 * Each position's possible readings. The inward code is always digit-letter-letter
 * and the outward code always starts with a letter, so those positions are fixed;
 * the rest of the outward code may be either.
 */
function readings(compact: string): string[][] {
  const n = compact.length;
  return [...compact].map((c, i) => {
    const swapped = TO_DIGIT[c] ?? TO_LETTER[c];
    if (i === 0 || i >= n - 2) return [TO_LETTER[c] ?? c];
    if (i === n - 3) return [TO_DIGIT[c] ?? c];
    return swapped && swapped !== c ? [c, swapped] : [c];
  });
}

/**
 * The postcode repaired when one reading of it is valid: spacing, case and the
 * O/0, I/1 confusions. Null when nothing valid can be made of it.
 */
export function repairPostcode(text: string | null | undefined): string | null {
  if (!text) return null;
  const direct = normalisePostcode(text);
  if (direct) return direct;
  const compact = text.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (compact.length < 5 || compact.length > 7) return null;
  let options = [''];
  for (const choices of readings(compact)) options = options.flatMap((o) => choices.map((c) => o + c));
  for (const option of options) {
    const pc = normalisePostcode(option);
    if (pc) return pc;
  }
  return null;
}

/** Loose shape of a written postcode: confusable characters allowed, space optional. */
const POSTCODE_LIKE = /(?<![A-Z0-9])([A-Z][A-Z0-9]{1,3})\s*([0-9OIL][A-Z0-9]{2})(?![A-Z0-9])/g;

export interface FoundPostcode {
  postcode: string;
  /** The text with the postcode taken out. */
  rest: string;
}

/** The last valid (or repairable) postcode written in the text, and the text without it. */
export function findPostcode(text: string): FoundPostcode | null {
  const upper = text.toUpperCase();
  let found: FoundPostcode | null = null;
  for (const m of upper.matchAll(POSTCODE_LIKE)) {
    const outward = m[1] as string;
    // An outward code has a digit in it (after repair), and at least one digit must be written as a digit,
    // or words such as "FLOOR" (F1 0OR) would be read as postcodes.
    if (!/[0-9OIL]/.test(outward.slice(1)) || !/\d/.test(m[0])) continue;
    const pc = repairPostcode(m[0]);
    if (!pc) continue;
    const start = m.index;
    found = { postcode: pc, rest: `${text.slice(0, start)} ${text.slice(start + m[0].length)}`.replace(/\s+/g, ' ').trim() };
  }
  return found;
}

/** Outward code of a valid postcode ("ZZ1"). */
export const postcodeOutward = (pc: string): string | null => toOutcode(pc);

/** Sector of a valid postcode ("ZZ1 1"). */
export const postcodeSector = (pc: string): string | null => toSector(pc);

export type PostcodeLevel = 'exact' | 'sector' | 'outward' | 'different' | 'missing';

/**
 * How close two normalised postcodes are. Both are in standard form ("ZZ1 1AB": outward code, space, digit and two
 * letters), so sector and outward code are read off by position: this runs for every candidate compared.
 */
export function comparePostcodes(a: string | null, b: string | null): PostcodeLevel {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  const space = a.length - 4;
  if (a.length !== b.length || b[space] !== ' ' || a.slice(0, space) !== b.slice(0, space)) return 'different';
  return a[space + 1] === b[space + 1] ? 'sector' : 'outward';
}
