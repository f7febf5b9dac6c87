import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { accept, reject, type IdentifierCheck } from './result.js';

/** Phone number to E.164, UK by default; placeholders (one repeated digit) refused. */
export function validatePhone(raw: string | null | undefined, defaultCountry: CountryCode = 'GB'): IdentifierCheck {
  if (raw == null || raw.trim() === '') return reject('missing');
  const digits = raw.replace(/\D/g, '');
  if (digits === '') return reject('no digits');
  if (/^0*(\d)\1*$/.test(digits)) return reject('placeholder');
  const parsed = parsePhoneNumberFromString(raw.replace(/[()]/g, ' '), defaultCountry);
  if (!parsed) return reject('not a phone number');
  if (!parsed.isValid()) return reject('not a valid number for its country');
  return accept(parsed.number);
}
