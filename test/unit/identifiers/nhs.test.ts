import { describe, expect, it } from 'vitest';
import { validateNhsNumber } from '../../../matching/identifiers/nhs.js';

describe('validateNhsNumber', () => {
  it('accepts a valid number written 3-3-4 and normalises it', () => {
    expect(validateNhsNumber('943 476 5919')).toEqual({ valid: true, normalised: '9434765919' });
  });
  it('maps a check of 11 to 0', () => {
    // 200 000 001x: weighted sum 22, 22 mod 11 = 0, so the check is 11 -> 0.
    expect(validateNhsNumber('2000000010').valid).toBe(true);
  });
  it('refuses a wrong check digit, placeholders, wrong length and an impossible check', () => {
    expect(validateNhsNumber('9434765918')).toMatchObject({ valid: false, problem: 'check digit mismatch' });
    expect(validateNhsNumber('0000000000')).toMatchObject({ valid: false, problem: 'placeholder' });
    expect(validateNhsNumber('94347659')).toMatchObject({ valid: false, problem: 'not ten digits' });
    // 100 000 001x: sum 10+2 = 12, 12 mod 11 = 1, check 10: never issued.
    expect(validateNhsNumber('1000000010')).toMatchObject({ valid: false, problem: 'check digit impossible' });
    expect(validateNhsNumber(null)).toMatchObject({ valid: false, problem: 'missing' });
  });
});
