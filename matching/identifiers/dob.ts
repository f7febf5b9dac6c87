import { accept, reject, type IdentifierCheck } from './result.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when the ISO text is a real calendar date. */
export function isCalendarDate(iso: string): boolean {
  const m = ISO_DATE.exec(iso);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Date of birth: an ISO calendar date, not before 1900 and not after `asOf`
 * (an ISO date given by the caller: matching code reads no clock).
 */
export function validateDob(raw: string | null | undefined, asOf: string): IdentifierCheck {
  if (raw == null || raw.trim() === '') return reject('missing');
  const text = raw.trim();
  if (!ISO_DATE.test(text)) return reject('not an ISO date');
  if (!isCalendarDate(text)) return reject('not a calendar date');
  if (text < '1900-01-01') return reject('before 1900');
  if (text > asOf) return reject('in the future');
  return accept(text);
}
