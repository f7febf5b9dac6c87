import { accept, reject, type IdentifierCheck } from './result.js';

const NEVER_ISSUED_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/**
 * National Insurance number: two prefix letters, six digits, suffix A-D (old data
 * may lack the suffix). Temporary numbers (TN prefix) are not identifiers.
 * The normalised form has no spaces and keeps the suffix when there is one.
 */
export function validateNino(raw: string | null | undefined): IdentifierCheck {
  if (raw == null || raw.trim() === '') return reject('missing');
  const text = raw.toUpperCase().replace(/\s+/g, '');
  const m = /^([A-Z])([A-Z])(\d{6})([A-D]?)$/.exec(text);
  if (!m) return reject('not two letters, six digits and a suffix A-D');
  const [, first, second, digits, suffix] = m as unknown as [string, string, string, string, string];
  if (first + second === 'TN') return reject('temporary number');
  if ('DFIQUV'.includes(first)) return reject('invalid first prefix letter');
  if ('DFIOQUV'.includes(second)) return reject('invalid second prefix letter');
  if (NEVER_ISSUED_PREFIXES.has(first + second)) return reject('prefix never issued');
  return accept(`${first}${second}${digits}${suffix}`);
}

/** The part of a NINO that identifies a person: the suffix is often missing in old data. */
export const ninoCore = (normalised: string): string => normalised.slice(0, 8);
