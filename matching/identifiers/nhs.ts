import { accept, reject, type IdentifierCheck } from './result.js';

/** NHS number: ten digits, modulus 11 check digit; all-same-digit placeholders refused. */
export function validateNhsNumber(raw: string | null | undefined): IdentifierCheck {
  if (raw == null || raw.trim() === '') return reject('missing');
  const digits = raw.replace(/[\s-]/g, '');
  if (!/^\d{10}$/.test(digits)) return reject('not ten digits');
  if (/^(\d)\1{9}$/.test(digits)) return reject('placeholder');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return reject('check digit impossible');
  if ((check === 11 ? 0 : check) !== Number(digits[9])) return reject('check digit mismatch');
  return accept(digits);
}
