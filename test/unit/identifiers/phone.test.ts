import { describe, expect, it } from 'vitest';
import { validatePhone } from '../../../matching/identifiers/phone.js';

describe('validatePhone', () => {
  it('turns UK mobile and geographic numbers into E.164', () => {
    expect(validatePhone('07911 123456')).toEqual({ valid: true, normalised: '+447911123456' });
    expect(validatePhone('(020) 7946 0018')).toEqual({ valid: true, normalised: '+442079460018' });
    expect(validatePhone('+44 7911 123456').normalised).toBe('+447911123456');
  });
  it('refuses placeholders and non-numbers', () => {
    expect(validatePhone('00000 000000')).toMatchObject({ valid: false, problem: 'placeholder' });
    expect(validatePhone('n/a').valid).toBe(false);
    expect(validatePhone('0770').valid).toBe(false);
  });
});
