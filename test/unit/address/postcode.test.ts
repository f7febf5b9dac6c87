import { describe, expect, it } from 'vitest';
import { comparePostcodes, findPostcode, normalisePostcode, postcodeOutward, postcodeSector, repairPostcode } from '../../../matching/address/postcode.js';

describe('normalisePostcode', () => {
  it.each([
    ['ZZ1 1AB', 'ZZ1 1AB'],
    ['zz11ab', 'ZZ1 1AB'],
    [' ec1a  1bb ', 'EC1A 1BB'],
    ['w1a 1aa', 'W1A 1AA'],
    ['ZZ1-1AB', 'ZZ1 1AB'],
  ])('%s → %s', (input, expected) => expect(normalisePostcode(input)).toBe(expected));
  it.each(['', 'HELLO', 'ZZ1', '1ZZ 1AB', 'ZZ1 1A', 'ZZ1 1AO', 'ZZ1O 1AB', 'A1O 1AB'])('rejects %j', (input) => expect(normalisePostcode(input)).toBeNull());
});

describe('repairPostcode', () => {
  it.each([
    ['letter O for zero in the inward code', 'ZZ1 OAB', 'ZZ1 0AB'],
    ['letter I for one in the district', 'ZZI 1AB', 'ZZ1 1AB'],
    ['letter l for one, lower case, no space', 'zzl1ab', 'ZZ1 1AB'],
    ['zero for O in the area', '0X4 1AB', 'OX4 1AB'],
    ['one for I in the area', '1P1 1AA', 'IP1 1AA'],
    ['letter O for zero after a district that cannot end in O', 'ZZ1O 2AT', 'ZZ10 2AT'],
    ['letter I for one in the inward digit', 'ZZ1 IAB', 'ZZ1 1AB'],
    ['already valid', 'ZZ1 1AB', 'ZZ1 1AB'],
  ])('%s', (_name, input, expected) => expect(repairPostcode(input)).toBe(expected));
  it('gives up on what cannot be a postcode', () => {
    expect(repairPostcode('ROAD')).toBeNull();
    expect(repairPostcode('123 456')).toBeNull();
    expect(repairPostcode(null)).toBeNull();
  });
});

describe('findPostcode', () => {
  it('finds a postcode at the end and returns the rest', () => {
    expect(findPostcode('2 Mill Lane, Exampleton ZZ1 1AB')).toEqual({ postcode: 'ZZ1 1AB', rest: '2 Mill Lane, Exampleton' });
  });
  it('finds one without a space and with O for zero', () => {
    expect(findPostcode('2 Mill Lane ZZ1OAB Exampleton')?.postcode).toBe('ZZ1 0AB');
  });
  it('does not take street words or house numbers for a postcode', () => {
    expect(findPostcode('Flat 10, 12 Mill Lane, Exampleton')).toBeNull();
  });
  it('takes the last when two are written', () => {
    expect(findPostcode('ZZ9 9ZZ old, 2 Mill Lane ZZ1 1AB')?.postcode).toBe('ZZ1 1AB');
  });
});

describe('sector, outward and comparison', () => {
  it('derives the sector and outward code', () => {
    expect(postcodeSector('ZZ1 1AB')).toBe('ZZ1 1');
    expect(postcodeOutward('EC1A 1BB')).toBe('EC1A');
  });
  it('grades closeness', () => {
    expect(comparePostcodes('ZZ1 1AB', 'ZZ1 1AB')).toBe('exact');
    expect(comparePostcodes('ZZ1 1AB', 'ZZ1 1AD')).toBe('sector');
    expect(comparePostcodes('ZZ1 1AB', 'ZZ1 2AD')).toBe('outward');
    expect(comparePostcodes('ZZ1 1AB', 'ZZ2 1AB')).toBe('different');
    expect(comparePostcodes(null, 'ZZ2 1AB')).toBe('missing');
  });
});

describe('findPostcode false positives', () => {
  it('does not read words made of confusable letters as postcodes', () => {
    expect(findPostcode('Ground Floor Flat, High Street')).toBeNull();
    expect(findPostcode('Mill Oil Lane')).toBeNull();
  });
});
