import { describe, expect, it } from 'vitest';
import { normaliseAddress, searchWords, spellingsOf, streetType, tokenise } from '../../../matching/address/normalise.js';

describe('normaliseAddress', () => {
  const cases: [string, string, string][] = [
    ['case and punctuation', 'Flat 3, 10 High St.', 'FLAT 3 10 HIGH STREET'],
    ['accents and apostrophes', "St. John's Café Rd", 'SAINT JOHNS CAFE ROAD'],
    ['ampersand', 'Smith & Co', 'SMITH AND CO'],
    ['RD', '2 Mill Rd', '2 MILL ROAD'],
    ['AVE', '4 Oak Ave', '4 OAK AVENUE'],
    ['CL', '5 Elm Cl', '5 ELM CLOSE'],
    ['CRES', '6 Park Cres', '6 PARK CRESCENT'],
    ['GDNS and SQ', '7 Rose Gdns, Kings Sq', '7 ROSE GARDENS KINGS SQUARE'],
    ['ST at the start is SAINT', 'St Marys Road', 'SAINT MARYS ROAD'],
    ['ST after a number is SAINT', '10 St Marys Road', '10 SAINT MARYS ROAD'],
    ['ST at the end is STREET', '10 High St', '10 HIGH STREET'],
    ['ST before a town is STREET', '10 Station St Exampleton', '10 STATION STREET EXAMPLETON'],
    ['ST before a name and a street type is SAINT', '1 Upper St Martins Lane', '1 UPPER SAINT MARTINS LANE'],
    ['both in one address', '10 St Johns St', '10 SAINT JOHNS STREET'],
    ['ST after a street type is SAINT', '10 High St St Albans', '10 HIGH STREET SAINT ALBANS'],
    ['ST after a first word that is also a type is STREET', '59 Park St Fakebury', '59 PARK STREET FAKEBURY'],
    ['ST after OF is SAINT', 'Church of St Mary', 'CHURCH OF SAINT MARY'],
    ['number word after FLAT', 'Flat Two, 10 High Street', 'FLAT 2 10 HIGH STREET'],
    ['NO and a number word', 'No. Five Mill Lane', '5 MILL LANE'],
    ['number words elsewhere kept', 'Seven Sisters Road', 'SEVEN SISTERS ROAD'],
    ['range with spaces', '12 - 14 Mill Road', '12-14 MILL ROAD'],
    ['range with suffixes', '12A-12C Mill Road', '12A-12C MILL ROAD'],
    ['slash range kept as written', '12/14 Mill Road', '12/14 MILL ROAD'],
    ['tenement position', 'Flat 2 / 1, 15 High Street', 'FLAT 2/1 15 HIGH STREET'],
    ['tenement position with side', '1/L 15 High Street', '1/L 15 HIGH STREET'],
    ['suffix split from number', '2 a Mill Lane', '2A MILL LANE'],
    ['suffix split from number before a comma', '7 A, Beacon House, 3 Mill Lane', '7A BEACON HOUSE 3 MILL LANE'],
    ['lone letter at the end left alone', '10 Mill Lane 2 A', '10 MILL LANE 2 A'],
    ['hyphenated words split', 'Stoke-on-Trent', 'STOKE ON TRENT'],
    ['GFF', 'GFF 10 High Street', 'GROUND FLOOR FLAT 10 HIGH STREET'],
    ['1st floor', '1st Floor Flat, 10 High Street', 'FIRST FLOOR FLAT 10 HIGH STREET'],
    ['TFF', 'TFF 10 High Street', 'TOP FLOOR FLAT 10 HIGH STREET'],
    ['basement abbreviation', 'Bsmt Flat 10 High Street', 'BASEMENT FLAT 10 HIGH STREET'],
    ['APT', 'Apt 4 Mill Court', 'APARTMENT 4 MILL COURT'],
    ['C/O slash dropped', 'C/O 10 High Street', 'C O 10 HIGH STREET'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(normaliseAddress(input)).toBe(expected);
  });
});

describe('tokenise', () => {
  it('keeps the writer\'s breaks once, not at the ends', () => {
    expect(tokenise(', Flat 1,, 5 Riverside Court, High St,')).toEqual(['FLAT', '1', ',', '5', 'RIVERSIDE', 'COURT', ',', 'HIGH', 'STREET']);
  });
  it('ST before a break is STREET', () => {
    expect(tokenise('High St, Northby')).toEqual(['HIGH', 'STREET', ',', 'NORTHBY']);
  });
});

describe('streetType', () => {
  it('names the type word of a street', () => {
    expect(streetType('MILL LANE')).toBe('LANE');
    expect(streetType('THE BROADWAY')).toBeNull();
    expect(streetType('GREEN')).toBeNull();
  });
});

describe('searchWords and spellingsOf', () => {
  it('fold words as the matcher folds them, split on anything but letters and digits', () => {
    expect(searchWords("Lôn y Felin, St. John's Rd & Co, zz1-2bb")).toEqual(['LON', 'Y', 'FELIN', 'ST', 'JOHNS', 'RD', 'AND', 'CO', 'ZZ1', '2BB']);
    expect(searchWords('Straße 12/14')).toEqual(['STRASSE', '12', '14']);
    expect(searchWords(' , ')).toEqual([]);
  });
  it('give the other spellings from the abbreviation table, both ways', () => {
    expect(spellingsOf('RD')).toEqual(['ROAD']);
    expect(spellingsOf('LN')).toEqual(['LANE']);
    expect(spellingsOf('ROAD')).toEqual(['RD']);
    expect(spellingsOf('SAINT')).toEqual(['ST']);
    expect(spellingsOf('ST').sort()).toEqual(['SAINT', 'STREET']);
    expect(spellingsOf('STREET').sort()).toEqual(['ST', 'STR']);
    expect(spellingsOf('AVENUE').sort()).toEqual(['AV', 'AVE', 'AVN']);
    expect(spellingsOf('MILL')).toEqual([]);
  });
});
