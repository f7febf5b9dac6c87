import { describe, expect, it } from 'vitest';
import { ninoCore, validateNino } from '../../../matching/identifiers/nino.js';

describe('validateNino', () => {
  it('normalises case and spacing, keeps the suffix', () => {
    expect(validateNino('ab 12 34 56 c')).toEqual({ valid: true, normalised: 'AB123456C' });
  });
  it('accepts a missing suffix from old data', () => {
    expect(validateNino('AB123456')).toEqual({ valid: true, normalised: 'AB123456' });
    expect(ninoCore('AB123456C')).toBe('AB123456');
  });
  it('refuses bad prefixes, temporary numbers and bad suffixes', () => {
    expect(validateNino('DA123456A').problem).toBe('invalid first prefix letter');
    expect(validateNino('AO123456A').problem).toBe('invalid second prefix letter');
    expect(validateNino('GB123456A').problem).toBe('prefix never issued');
    expect(validateNino('TN123456A').problem).toBe('temporary number');
    expect(validateNino('AB123456E').valid).toBe(false);
    expect(validateNino('AB12345').valid).toBe(false);
  });
});
