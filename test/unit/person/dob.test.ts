import { describe, expect, it } from 'vitest';
import { dobLevel } from '../../../matching/person/dob.js';

describe('date of birth levels', () => {
  it('grades agreement best first', () => {
    expect(dobLevel('1980-03-04', '1980-03-04')).toBe('exact');
    expect(dobLevel('1980-03-04', '1980-04-03')).toBe('transposed');
    expect(dobLevel('1980-03-04', '1980-03-07')).toBe('one-digit');
    expect(dobLevel('1980-03-04', '1986-03-04')).toBe('one-digit');
    expect(dobLevel('1980-03-04', '1980-11-21')).toBe('year');
    expect(dobLevel('1980-03-04', '1975-11-21')).toBe('different');
  });
  it('treats a changed day and year as more than one digit off', () => {
    expect(dobLevel('1980-03-04', '1981-03-05')).toBe('different');
  });
});
