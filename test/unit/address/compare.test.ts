import { describe, expect, it } from 'vitest';
import { compareAddress, compareNumbers, compareSao, compareText, similarNames } from '../../../matching/address/compare.js';
import { comparableObject, prepareCandidate, prepareInput } from '../../../matching/address/prepare.js';
import { emptyObject, parseObjectText } from '../../../matching/address/parse.js';
import { maximumWeight, scoreLevels } from '../../../matching/address/score.js';
import { builtinParser } from '../../../matching/address/parser.js';
import { buildVocabulary } from '../../../matching/address/vocabulary.js';
import { addr } from './gazetteer.js';

const obj = (text: string) => comparableObject(parseObjectText(text));

describe('comparable SAO and PAO', () => {
  it.each([
    ['FLAT 3', { start: 3, startSuffix: '', text: '' }],
    ['3', { start: 3, startSuffix: '', text: '' }],
    ['APARTMENT 3A', { start: 3, startSuffix: 'A', text: '' }],
    ['FLAT A', { start: null, startSuffix: 'A', text: '' }],
    ['GROUND FLOOR FLAT', { start: null, startSuffix: '', text: 'GROUND' }],
    ['GFF', { start: null, startSuffix: '', text: 'GROUND' }],
    ['FLAT 2/1', { start: null, startSuffix: '', text: '2/1' }],
  ])('%s', (text, expected) => expect(obj(text)).toMatchObject(expected));
  it('reads a SAO split across text and number fields like one written as text', () => {
    expect(comparableObject({ ...emptyObject(), text: 'FLAT', startNumber: 1 })).toEqual(obj('FLAT 1'));
  });
});

describe('field levels', () => {
  it.each([
    ['2', '2', 'exact'], ['2', '2A', 'suffix-differs'], ['12', '12-14', 'range'], ['14', '12-14', 'range'], ['13', '12-14', 'different'],
    ['3', '4', 'different'],
    // A run over one number's suffixes names each of them: which one is a suffix question, either way round.
    ['2-2A', '2', 'suffix-differs'], ['2-2A', '2A', 'suffix-differs'], ['2', '2-2A', 'suffix-differs'], ['2A-2C', '2B', 'suffix-differs'],
  ])('house number %s against %s is %s', (a, b, level) => expect(compareNumbers(obj(a), obj(b))).toBe(level));
  it.each([
    ['FLAT 1', '1', 'exact'], ['FLAT 1', 'FLAT 1A', 'suffix-differs'], ['FLAT A', 'FLAT B', 'suffix-differs'], ['FLAT 1', 'FLAT 2', 'different'],
    ['GROUND FLOOR FLAT', 'GROUND FLOOR', 'exact'], ['GROUND FLOOR FLAT', 'FIRST FLOOR FLAT', 'different'],
  ])('SAO %s against %s is %s', (a, b, level) => expect(compareSao(obj(a), obj(b))).toBe(level));
  it('grades text', () => {
    expect(compareText('ROSE COTTAGE', 'ROSE COTTAGE')).toBe('exact');
    expect(compareText('ROSE COTAGE', 'ROSE COTTAGE')).toBe('fuzzy');
    expect(compareText('SMITH AND CO THE OLD FORGE', 'THE OLD FORGE')).toBe('contained');
    expect(compareText('IVY COTTAGE', 'ROSE COTTAGE')).toBe('different');
  });
  it('allows one slip in short names and two in long ones', () => {
    expect(similarNames('MILL LAEN', 'MILL LANE')).toBe(true);
    expect(similarNames('ELM RD', 'ELK RD')).toBe(true);
    expect(similarNames('ELM WAY', 'OAK WAY')).toBe(false);
  });
  it('grades streets: a different type word is a different street', () => {
    const vocab = buildVocabulary({ streets: ['MILL LANE', 'MILL ROAD'], localities: ['NORTHBY'], towns: ['EXAMPLETON'] });
    const input = prepareInput(builtinParser(vocab).parse('2 Mill Lane, Northby'));
    const lane = prepareCandidate(addr({ uprn: 1, usrn: 7001, postcode: 'ZZ1 1AB', paoStartNumber: 2 }));
    const road = prepareCandidate(addr({ uprn: 2, usrn: 7002, postcode: 'ZZ1 1AD', paoStartNumber: 2 }));
    expect(compareAddress(input, lane).street).toBe('exact');
    expect(compareAddress(input, road).street).toBe('type-differs');
    const max = maximumWeight(input);
    expect(scoreLevels(compareAddress(input, lane), max).score).toBe(1);
    expect(scoreLevels(compareAddress(input, road), max).score).toBeLessThan(0.5);
  });
  it('blocks a suffix difference whatever the score', () => {
    const vocab = buildVocabulary({ streets: ['MILL LANE'], localities: [], towns: [] });
    const input = prepareInput(builtinParser(vocab).parse('2 Mill Lane ZZ1 1AB'));
    const twoA = prepareCandidate(addr({ uprn: 3, usrn: 7001, postcode: 'ZZ1 1AB', paoStartNumber: 2, paoStartSuffix: 'A' }));
    expect(scoreLevels(compareAddress(input, twoA), maximumWeight(input)).blockers).toContain('house number suffix differs');
  });
});
