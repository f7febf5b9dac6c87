import { describe, expect, it } from 'vitest';
import { builtinParser, fromPostalComponents, loadLibpostalParser } from '../../../matching/address/parser.js';
import { parseObjectText, readNumber } from '../../../matching/address/parse.js';
import { buildVocabulary, EMPTY_VOCABULARY } from '../../../matching/address/vocabulary.js';

const vocab = buildVocabulary({
  streets: ['MILL LANE', 'MILL ROAD', 'HIGH STREET', 'ST JOHNS ROAD', 'THE BROADWAY'],
  localities: ['NORTHBY', 'SOUTHBY', 'SOUTH EXAMPLETON'],
  towns: ['EXAMPLETON', 'NEW TOWN'],
});
const parser = builtinParser(vocab);
const obj = (o: Partial<Record<'startNumber' | 'startSuffix' | 'endNumber' | 'endSuffix' | 'text', unknown>>) => ({
  startNumber: null, startSuffix: null, endNumber: null, endSuffix: null, text: null, ...o,
});

describe('builtin parser', () => {
  it('reads a plain house', () => {
    expect(parser.parse('2 Mill Lane, Northby, Exampleton ZZ1 1AB')).toEqual({
      sao: obj({}), pao: obj({ startNumber: 2 }), street: 'MILL LANE', locality: 'NORTHBY', town: 'EXAMPLETON', postcode: 'ZZ1 1AB', leftover: [],
    });
  });
  it('reads a suffix and uses the separate postcode field', () => {
    const p = parser.parse('2a mill ln exampleton', 'zz11ab');
    expect(p.pao).toEqual(obj({ startNumber: 2, startSuffix: 'A' }));
    expect([p.street, p.town, p.postcode]).toEqual(['MILL LANE', 'EXAMPLETON', 'ZZ1 1AB']);
  });
  it('reads ranges written with a hyphen or a slash', () => {
    expect(parser.parse('12-14 Mill Road').pao).toEqual(obj({ startNumber: 12, endNumber: 14 }));
    const slash = parser.parse('12/14 Mill Road');
    expect([slash.pao, slash.slashRange]).toEqual([obj({ startNumber: 12, endNumber: 14 }), true]);
  });
  it('reads n/m that cannot be a range as flat n at number m', () => {
    for (const text of ['3/12 High Street', '9/3 High Street', 'Flat 3/12 High Street']) {
      const p = parser.parse(text);
      expect([text, p.sao.startNumber, p.pao.startNumber, p.slashRange]).toEqual([text, text === '9/3 High Street' ? 9 : 3, text === '9/3 High Street' ? 3 : 12, undefined]);
    }
  });
  it('keeps a plot number apart from house numbers', () => {
    expect(parser.parse('Plot 42, Mill Lane').pao).toEqual(obj({ text: 'PLOT 42' }));
  });
  it('does not take a building named like a street, with the house number after it, for the street', () => {
    const p = parser.parse('6, Orchard Court, 6 Lancaster Clsoe, Exampleton');
    expect([p.sao.startNumber, p.pao.startNumber, p.pao.text, p.street]).toEqual([6, 6, 'ORCHARD COURT', 'LANCASTER CLSOE']);
    const q = parser.parse('2, Mill Lane, 5 Hihg Street, Exampleton');
    expect([q.pao.startNumber, q.pao.text, q.street]).toEqual([5, 'MILL LANE', 'HIHG STREET']);
  });
  it('reads a flat with a number and the building number', () => {
    const p = parser.parse('Flat 3, 10 High St, Exampleton');
    expect(p.sao).toEqual(obj({ startNumber: 3, text: 'FLAT' }));
    expect(p.pao).toEqual(obj({ startNumber: 10 }));
    expect(p.street).toBe('HIGH STREET');
  });
  it('reads FLAT 1A', () => {
    expect(parser.parse('Flat 1a 10 High Street').sao).toEqual(obj({ startNumber: 1, startSuffix: 'A', text: 'FLAT' }));
  });
  it('reads a bare flat number before the building number', () => {
    const p = parser.parse('3 10 High Street');
    expect([p.sao.startNumber, p.pao.startNumber]).toEqual([3, 10]);
  });
  it('reads a Scottish tenement position', () => {
    const p = parser.parse('2/1 15 High Street, Exampleton');
    expect(p.sao).toEqual(obj({ text: '2/1' }));
    expect(p.pao).toEqual(obj({ startNumber: 15 }));
  });
  it('reads floor words as the SAO', () => {
    expect(parser.parse('Ground Floor Flat, 10 High Street').sao).toEqual(obj({ text: 'GROUND FLOOR FLAT' }));
    expect(parser.parse('Basement 10 High Street').sao).toEqual(obj({ text: 'BASEMENT' }));
  });
  it('reads a named house with no number', () => {
    const p = parser.parse('Rose Cottage, Mill Lane, Northby');
    expect(p.pao).toEqual(obj({ text: 'ROSE COTTAGE' }));
    expect([p.street, p.locality]).toEqual(['MILL LANE', 'NORTHBY']);
  });
  it('reads a flat in a named building with a number', () => {
    const p = parser.parse('Flat 1, 5 Riverside Court, High Street');
    expect(p.sao).toEqual(obj({ startNumber: 1, text: 'FLAT' }));
    expect(p.pao).toEqual(obj({ startNumber: 5, text: 'RIVERSIDE COURT' }));
    expect(p.street).toBe('HIGH STREET');
  });
  it('reads a number before a building name as the flat', () => {
    const p = parser.parse('1 Riverside Court High Street');
    expect(p.sao.startNumber).toBe(1);
    expect(p.pao).toEqual(obj({ text: 'RIVERSIDE COURT' }));
  });
  it('keeps an organisation name as leftover and the building as PAO text', () => {
    const p = parser.parse('Smith, Jones & Co, The Old Forge, 7 High Street, Exampleton');
    expect(p.pao).toEqual(obj({ startNumber: 7, text: 'THE OLD FORGE' }));
    expect(p.leftover.join(' ')).toContain('JONES AND CO');
  });
  it('prefers the longer place name when a locality contains the town name', () => {
    const p = parser.parse('46 High Street, South Exampleton, Exampleton');
    expect([p.street, p.locality, p.town]).toEqual(['HIGH STREET', 'SOUTH EXAMPLETON', 'EXAMPLETON']);
    expect(parser.parse('46 High Street, South Exampleton').locality).toBe('SOUTH EXAMPLETON');
  });
  it('handles a missing postcode', () => {
    expect(parser.parse('2 Mill Lane').postcode).toBeNull();
  });
  it('takes a postcode from inside the text, repairing it', () => {
    const p = parser.parse('2 Mill Lane ZZ1 OAB Northby');
    expect(p.postcode).toBe('ZZ1 0AB');
    expect([p.street, p.locality]).toEqual(['MILL LANE', 'NORTHBY']);
  });
  it('reads ST as SAINT in a known street', () => {
    expect(parser.parse('4 St. Johns Rd, New Town').street).toBe('SAINT JOHNS ROAD');
  });
  it('prefers the rightmost known street over a building named like a street', () => {
    expect(parser.parse('Mill Road House, 3 High Street').street).toBe('HIGH STREET');
  });
  it('guesses an unknown street from its type word and keeps an unknown place as locality', () => {
    const p = builtinParser(EMPTY_VOCABULARY).parse('10 Acacia Avenue, Someplace');
    expect([p.pao.startNumber, p.street, p.locality]).toEqual([10, 'ACACIA AVENUE', 'SOMEPLACE']);
  });
  it('guesses a misspelt street as the words after the number', () => {
    const p = parser.parse('2 Mill Laen, Northby');
    expect([p.street, p.locality]).toEqual(['MILL LAEN', 'NORTHBY']);
  });
});

describe('PO boxes', () => {
  it.each([
    ['PO Box 12'], ['P.O. Box 12'], ['P O BOX 12'], ['POBox 12'], ['PO BOX12'], ['pobox12'], ['Post Office Box 12'], ['PO Box No. 12'],
    ['BOX 12'], ['Box 12, Exampleton'], ['Box 12 Exampleton'], ['Exampleton, PO Box 12'],
  ])('takes %s out as a PO box, not a house number', (text) => {
    const p = parser.parse(text, 'ZZ1 1AB');
    expect([p.poBox, p.pao, p.street]).toEqual(['12', obj({}), null]);
  });
  it('keeps the street address written with a PO box, wherever the box is', () => {
    for (const text of ['PO Box 12, 4 Mill Lane, Northby', '4 Mill Lane, PO Box 12, Northby', 'Acme Ltd, 4 Mill Lane, Northby, PO Box 12']) {
      const p = parser.parse(text);
      expect([text, p.poBox, p.pao.startNumber, p.street, p.locality]).toEqual([text, '12', 4, 'MILL LANE', 'NORTHBY']);
    }
    expect(parser.parse('PO Box, Exampleton').poBox).toBe('');
    expect(parser.parse('Box 12, Northby, Exampleton')).toMatchObject({ poBox: '12', locality: 'NORTHBY', town: 'EXAMPLETON', pao: obj({}) });
  });
  it('takes BOX alone for a PO box only as a part of its own, never where it may be a name', () => {
    expect(parser.parse('Box 7, Exampleton').poBox).toBe('7');
    for (const text of ['The Box, 4 Mill Lane', '4 Box Lane, Exampleton', 'Box Cottage, Mill Lane', 'Post Office, 3 High Street', '3 Box 12 Mill Lane']) {
      expect(parser.parse(text).poBox, text).toBeUndefined();
    }
    expect(parser.parse('Post Office, 3 High Street').pao).toEqual(obj({ startNumber: 3, text: 'POST OFFICE' }));
  });
  it('takes the PO box libpostal labels', () => {
    const p = fromPostalComponents([{ component: 'po_box', value: 'po box 12' }, { component: 'postcode', value: 'zz1 1ab' }]);
    expect([p.poBox, p.pao.startNumber]).toEqual(['12', null]);
  });
});

describe('readNumber and parseObjectText', () => {
  it('reads numbers, ranges and refuses positions', () => {
    expect(readNumber('12A')).toEqual({ start: 12, startSuffix: 'A', end: null, endSuffix: null });
    expect(readNumber('2/1')).toBeNull();
    expect(readNumber('1/3')).toEqual({ start: 1, startSuffix: null, end: 3, endSuffix: null });
  });
  it('reads a SAO written as text', () => {
    expect(parseObjectText('FLAT 1A')).toEqual(obj({ startNumber: 1, startSuffix: 'A', text: 'FLAT' }));
    expect(parseObjectText('FLAT 2/1')).toEqual(obj({ text: 'FLAT 2/1' }));
  });
});

describe('libpostal backend', () => {
  it('maps libpostal components to BS 7666 fields', () => {
    const p = fromPostalComponents([
      { component: 'unit', value: 'flat 3' }, { component: 'house_number', value: '10' }, { component: 'road', value: 'high st' },
      { component: 'city', value: 'exampleton' }, { component: 'postcode', value: 'zz1 1ab' },
    ]);
    expect(p.sao.startNumber).toBe(3);
    expect([p.pao.startNumber, p.street, p.town, p.postcode]).toEqual([10, 'HIGH STREET', 'EXAMPLETON', 'ZZ1 1AB']);
  });
  it('fails with a clear message when the package is not installed', async () => {
    await expect(loadLibpostalParser('node-postal-not-installed-here')).rejects.toThrow(/optional package .* built-in parser/);
  });
});
