import { describe, expect, it } from 'vitest';
import { isCalendarDate, validateDob } from '../../../matching/identifiers/dob.js';

describe('validateDob', () => {
  const asOf = '2024-06-01';
  it('accepts a real date in range', () => {
    expect(validateDob('1980-02-29', asOf)).toEqual({ valid: true, normalised: '1980-02-29' });
  });
  it('refuses impossible, early, future and non-ISO dates', () => {
    expect(validateDob('1981-02-29', asOf).problem).toBe('not a calendar date');
    expect(validateDob('1899-12-31', asOf).problem).toBe('before 1900');
    expect(validateDob('2024-06-02', asOf).problem).toBe('in the future');
    expect(validateDob('01/02/1980', asOf).problem).toBe('not an ISO date');
    expect(isCalendarDate('2023-04-31')).toBe(false);
  });
});
