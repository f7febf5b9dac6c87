import { doubleMetaphone } from 'double-metaphone';

/** Double Metaphone codes (primary, alternate) of a normalised name. */
export const phoneticCodes = (name: string): [string, string] => doubleMetaphone(name);

/** Two names sound alike when any of their codes agree. */
export function soundAlike(a: readonly [string, string], b: readonly [string, string]): boolean {
  if (a[0] === '' || b[0] === '') return false;
  return a[0] === b[0] || a[0] === b[1] || a[1] === b[0] || (a[1] !== '' && a[1] === b[1]);
}
