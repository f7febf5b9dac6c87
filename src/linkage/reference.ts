/**
 * Citizen references: 'C', nine digits from a sequence (never reused) and a
 * Damm check digit, which catches every single mistyped digit and every swap
 * of two adjacent digits.
 */
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
] as const;

const PATTERN = /^C\d{10}$/;

function interim(digits: string): number {
  let state = 0;
  for (const ch of digits) state = (DAMM[state] as readonly number[])[ch.charCodeAt(0) - 48] as number;
  return state;
}

/** The reference for the n-th citizen. */
export function citizenRef(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 999_999_999) throw new RangeError('citizen number out of range');
  const digits = String(n).padStart(9, '0');
  return `C${digits}${interim(digits)}`;
}

/** True when the text is a well-formed reference whose check digit is right. */
export const isValidCitizenRef = (text: string): boolean => PATTERN.test(text) && interim(text.slice(1)) === 0;
