import { describe, expect, it } from 'vitest';
import { builtinParser } from '../../../matching/address/parser.js';
import { MemoryCandidateSource } from '../../../matching/address/memory-source.js';
import { inputKey, matchAddress, type MatchInput } from '../../../matching/address/match.js';
import { formatAddress } from '../../../matching/address/format.js';
import { INVALID_POSTCODE_REASON, PO_BOX_REASON, POSTCODE_ONLY_REASON } from '../../../matching/address/index.js';
import { addr, CROSS_REFERENCES, ROWS, SUCCESSORS } from './gazetteer.js';

const source = new MemoryCandidateSource({ rows: ROWS, crossReferences: CROSS_REFERENCES, successors: SUCCESSORS });
const parser = builtinParser(source.vocabulary);
const match = (input: MatchInput | string) => matchAddress(typeof input === 'string' ? { text: input } : input, source, { parser });

describe('matchAddress: clean matches and explanations', () => {
  it('matches a full address and explains the fields and the runner-up', async () => {
    const r = await match({ text: '2 Mill Lane, Northby, Exampleton', postcode: 'ZZ1 1AB' });
    expect(r.status).toBe('matched');
    expect(r.uprn).toBe(100001);
    expect(r.score).toBe(1);
    expect(r.explanation.evidence).toBe('address');
    expect(r.explanation.fields).toMatchObject({ paoNumber: 'exact', street: 'exact', locality: 'exact', town: 'exact', postcode: 'exact', sao: 'none' });
    expect(r.explanation.runnerUp?.uprn).toBe(100002);
    expect(r.explanation.runnerUp?.fields?.paoNumber).toBe('suffix-differs');
    expect(r.explanation.runnerUp!.score).toBeLessThan(r.score);
    expect(r.candidates[0]).toMatchObject({ uprn: 100001, address: '2 MILL LANE, NORTHBY, EXAMPLETON, ZZ1 1AB' });
    expect(r.explanation.reasons).toEqual([]);
  });
  it('finds a postcode written inside the text, without its space', async () => {
    const r = await match('2 mill ln northby zz11ab');
    expect([r.status, r.uprn]).toEqual(['matched', 100001]);
  });
  it('matches with the postcode missing', async () => {
    const r = await match('4 Mill Lane, Northby');
    expect([r.status, r.uprn]).toEqual(['matched', 100006]);
    expect(r.explanation.fields?.postcode).toBe('missing');
  });
  it('matches a number inside a range and the range itself', async () => {
    expect((await match('12-14 Mill Rd, Northby')).uprn).toBe(100003);
    const r = await match('12 Mill Road, Northby');
    expect([r.status, r.uprn, r.explanation.fields?.paoNumber]).toEqual(['matched', 100003, 'range']);
  });
});

describe('matchAddress: the traps', () => {
  it('tells 2 from 2A both ways', async () => {
    expect((await match('2A Mill Lane ZZ1 1AB')).uprn).toBe(100002);
    expect((await match('2 Mill Lane ZZ1 1AB')).uprn).toBe(100001);
  });
  it('never guesses a suffix the gazetteer does not have', async () => {
    const r = await match('2B Mill Lane ZZ1 1AB');
    expect(r.status).not.toBe('matched');
  });
  it('tells FLAT 1 from FLAT 1A and sends FLAT 1B to review', async () => {
    expect((await match('Flat 1, Riverside Court, 5 High Street ZZ1 2BD')).uprn).toBe(100011);
    expect((await match('Flat 1A, Riverside Court, 5 High Street ZZ1 2BD')).uprn).toBe(100012);
    const r = await match('Flat 1B, Riverside Court, 5 High Street ZZ1 2BD');
    expect(r.status).toBe('review');
    expect(r.explanation.reasons).toContain('flat suffix differs');
  });
  it('reads "3" and "FLAT 3" alike', async () => {
    const r = await match('2, 5 High Street ZZ1 2BD');
    expect([r.status, r.uprn]).toEqual(['matched', 100013]);
  });
  it('tells MILL LANE from MILL ROAD, even under the other street\'s postcode', async () => {
    expect((await match('2 Mill Road, Northby')).uprn).toBe(100005);
    const r = await match('2 Mill Road, Northby ZZ1 1AB');
    expect([r.status, r.uprn]).toEqual(['matched', 100005]);
    expect(r.explanation.runnerUp?.uprn).toBe(100001);
    expect(r.explanation.runnerUp?.fields?.street).toBe('type-differs');
  });
  it('sends the same street name in two localities to review unless the locality decides', async () => {
    const r = await match('10 Church Road, Exampleton');
    expect(r.status).toBe('review');
    expect([r.uprn, r.explanation.runnerUp?.uprn].sort()).toEqual([100020, 100021]);
    expect(r.explanation.reasons.join(' ')).toMatch(/runner-up/);
    const s = await match('10 Church Road, Southby');
    expect([s.status, s.uprn]).toEqual(['matched', 100021]);
  });
  it('matches a historic LPI to its UPRN', async () => {
    const r = await match('Millers Cottage, Mill Lane, Northby');
    expect([r.status, r.uprn]).toEqual(['matched', 100001]);
    expect(r.candidates[0]?.logicalStatus).toBe(8);
  });
  it('matches an alternative LPI to its UPRN', async () => {
    const r = await match('The Old Forge, High Street, Exampleton');
    expect([r.status, r.uprn]).toEqual(['matched', 100060]);
  });
  it('chooses the parent shell for the building and never for a flat it does not know', async () => {
    const r = await match('Riverside Court, 5 High Street ZZ1 2BD');
    expect([r.status, r.uprn]).toEqual(['matched', 100010]);
    const flat = await match('Flat 3, Riverside Court, 5 High Street ZZ1 2BD');
    expect(flat.status).not.toBe('matched');
  });
  it('chooses the only unit of a building named without the flat', async () => {
    const r = await match('20 High Street, Exampleton ZZ1 2BE');
    expect([r.status, r.uprn]).toEqual(['matched', 100031]);
    expect(r.explanation.fields?.sao).toBe('input-missing');
  });
  it('matches a Scottish tenement position', async () => {
    expect((await match('2/1, 15 High St, Exampleton')).uprn).toBe(100050);
    expect((await match('Flat 1/1 15 High Street')).uprn).toBe(100051);
  });
  it('reads floor words and their abbreviations alike', async () => {
    for (const text of ['Ground Floor Flat, 20 High Street', 'Ground Floor, 20 High Street', 'GFF 20 High St']) {
      const r = await match(text);
      expect([text, r.status, r.uprn, r.explanation.fields?.sao]).toEqual([text, 'matched', 100031, 'exact']);
    }
  });
  it('reads a number word after FLAT', async () => {
    expect((await match('Flat One, Riverside Court, 5 High Street')).uprn).toBe(100011);
  });
  it('reads 40A as flat A at number 40 when the gazetteer has it so', async () => {
    const r = await match('40A High Street ZZ1 2BH');
    expect([r.status, r.uprn]).toEqual(['matched', 100070]);
  });
  it('reads "5 RIVERSIDE COURT" as the building\'s number when no flat 5 exists', async () => {
    const r = await match('5 Riverside Court, High Street ZZ1 2BD');
    expect([r.status, r.uprn]).toEqual(['matched', 100010]);
  });
  it('counts an organisation name towards its address', async () => {
    const r = await match('Smith Jones & Co, 7 High Street, Exampleton');
    expect([r.status, r.uprn, r.explanation.fields?.organisation]).toEqual(['matched', 100060, 'exact']);
  });
  it('matches a row that lacks a building or business name the input gives, ranking one that has it higher', async () => {
    const r = await match('Acme Widgets Ltd, 4 Mill Lane ZZ1 1AB');
    expect([r.status, r.uprn, r.explanation.fields?.paoText]).toEqual(['matched', 100006, 'candidate-missing']);
    const named = await match('Riverside Court, 5 High Street ZZ1 2BD');
    expect(named.explanation.fields?.paoText).toBe('exact');
  });
  it('matches a misspelt street', async () => {
    const r = await match('4 Mill Laen, Northby');
    expect([r.status, r.uprn, r.explanation.fields?.street]).toEqual(['matched', 100006, 'fuzzy']);
  });
  it('overrides a wrong postcode when street and number agree', async () => {
    const r = await match({ text: '2 Mill Lane, Northby', postcode: 'ZZ1 1AD' });
    expect([r.status, r.uprn, r.explanation.fields?.postcode]).toEqual(['matched', 100001, 'sector']);
  });
  it('follows a retired UPRN to its successor', async () => {
    const r = await match('30 High Street ZZ1 2BE');
    expect([r.status, r.uprn]).toEqual(['matched', 100041]);
  });
  it('leaves an address not in the gazetteer unmatched', async () => {
    const r = await match('99 Nowhere Avenue, Elsewhere ZZ9 9ZZ');
    expect([r.status, r.uprn]).toEqual(['unmatched', null]);
    const s = await match('99 Mill Lane ZZ1 1AB');
    expect(s.status).toBe('unmatched');
  });
  it('reads a lone letter before a comma as the suffix of the number before it', async () => {
    const r = await match('1 A, Riverside Court, 5 High Street ZZ1 2BD');
    expect([r.status, r.uprn]).toEqual(['matched', 100012]);
  });
  it('reads n/m as flat n at number m, preferring the flat to its building', async () => {
    const r = await match('1/5 High Street ZZ1 2BD');
    expect([r.status, r.uprn]).toEqual(['matched', 100011]);
    const s = await match('10/9 High Street ZZ1 2BJ');
    expect([s.status, s.uprn]).toEqual(['matched', 100082]);
  });
  it('never matches a parent shell for a flat it does not know, however the flat is written', async () => {
    for (const text of ['3/5 High Street ZZ1 2BD', 'Flat 3, Riverside Court, High Street ZZ1 2BD', '7/9 High Street ZZ1 2BJ']) {
      expect((await match(text)).status, text).not.toBe('matched');
    }
  });
  it('matches a flat in a building named without its number', async () => {
    const r = await match('Flat 2, Riverside Court, High Street ZZ1 2BD');
    expect([r.status, r.uprn, r.explanation.fields?.paoNumber]).toEqual(['matched', 100013, 'input-missing']);
  });
  it('reads "9, KINGFISHER HOUSE" as flat 9 when the building, also number 9, holds one', async () => {
    const r = await match('9, Kingfisher House, High Street ZZ1 2BJ');
    expect([r.status, r.uprn]).toEqual(['matched', 100081]);
  });
  it('matches a building plot by its plot number, never by a house number or a plot one digit off', async () => {
    const r = await match('Plot 7, Mill Lane, Northby');
    expect([r.status, r.uprn]).toEqual(['matched', 100006]);
    expect((await match('Plot 8, Mill Lane, Northby')).status).not.toBe('matched');
  });
  it('reads STR as STREET', async () => {
    const r = await match('7 High Str, Exampleton');
    expect([r.status, r.uprn]).toEqual(['matched', 100060]);
  });
  it('leaves out a postcode from the wrong sector when street and number decide alone', async () => {
    const r = await match({ text: '4 Mill Lane, Northby', postcode: 'ZZ1 5XX' });
    expect([r.status, r.uprn]).toEqual(['matched', 100006]);
    expect(r.explanation.reasons.join(' ')).toMatch(/postcode .* left out/);
  });
  it('wants the whole address to agree when the postcode is left out', async () => {
    const r = await match({ text: 'Acme Widgets Ltd, 4 Mill Lane, Northby', postcode: 'ZZ1 5XX' });
    expect(r.status).toBe('review');
    expect(r.uprn).toBe(100006);
  });
  it('does not let a wrong postcode choose between two streets of the same name', async () => {
    const r = await match({ text: '10 Church Road, Exampleton', postcode: 'ZZ1 4DB' });
    expect(r.status).toBe('review');
  });
  it('takes a swap of two letters as one slip, and two slips only with the postcode agreeing', async () => {
    const r = await match('4 Mlil Lane, Northby');
    expect([r.status, r.uprn, r.explanation.fields?.street]).toEqual(['matched', 100006, 'fuzzy']);
    const s = await match('4 Mlil Lnae ZZ1 1AB');
    expect([s.status, s.uprn, s.explanation.fields?.street]).toEqual(['matched', 100006, 'loose']);
    expect((await match('4 Mlil Lnae, Northby')).status).not.toBe('matched');
  });
  it('does not match a street without premises', async () => {
    expect((await match('Mill Lane, Northby')).status).not.toBe('matched');
  });
  it('sends a range over 2 and 2A to review when both exist, and matches it to a property written so', async () => {
    for (const text of ['2-2A Mill Lane ZZ1 1AB', '2-2a mill lane northby']) {
      const r = await match(text);
      expect([text, r.status]).toEqual([text, 'review']);
      expect(r.candidates.slice(0, 2).map((c) => c.uprn).sort()).toEqual([100001, 100002]);
      expect(r.explanation.reasons).toContain('house number suffix differs');
    }
    const withRun = new MemoryCandidateSource({ rows: [...ROWS, addr({ uprn: 100090, usrn: 7002, postcode: 'ZZ1 1AD', paoStartNumber: 6, paoEndNumber: 6, paoEndSuffix: 'A' })] });
    const r = await matchAddress({ text: '6-6A Mill Road, Northby' }, withRun, { parser: builtinParser(withRun.vocabulary) });
    expect([r.status, r.uprn, r.explanation.fields?.paoNumber]).toEqual(['matched', 100090, 'exact']);
  });
});

describe('matchAddress: PO boxes', () => {
  // 2 and 4 MILL LANE exist under ZZ1 1AB: a box numbered alike must not find them.
  it.each([
    [{ text: 'PO Box 2', postcode: 'ZZ1 1AB' }], [{ text: 'P.O. Box 4, ZZ1 1AB' }], [{ text: 'Post Office Box 2, Exampleton, ZZ1 1AB' }],
    [{ text: 'POBOX 4 EXAMPLETON ZZ1 1AB' }], [{ text: 'BOX 2, EXAMPLETON', postcode: 'ZZ1 1AB' }], [{ text: 'PO Box 4, Mill Lane, Northby ZZ1 1AB' }],
    [{ text: 'Acme Ltd, PO Box 2, Northby', postcode: 'ZZ1 1AB' }],
  ])('leaves %j unmatched as a PO box', async (input) => {
    const r = await match(input);
    expect([r.status, r.uprn, r.candidates]).toEqual(['unmatched', null, []]);
    expect(r.explanation.reasons).toEqual([PO_BOX_REASON]);
    expect(r.explanation.reasons[0]).toMatch(/^po-box: /);
  });
  it('matches the street address written with a PO box, ignoring the box', async () => {
    for (const text of ['PO Box 99, 4 Mill Lane, Northby ZZ1 1AB', '4 Mill Lane, Northby, PO Box 2', 'PO Box 2, Rose Cottage, Mill Lane ZZ1 1AB']) {
      const r = await match(text);
      expect([text, r.status, r.uprn]).toEqual([text, 'matched', text.includes('Rose') ? 100004 : 100006]);
    }
  });
});

describe('matchAddress: what is not enough of an address', () => {
  it.each([[{ text: 'ZZ1 1AB' }], [{ text: 'zz11ab' }], [{ text: ', ZZ1 1AB.' }], [{ text: 'ZZ1 1AB', postcode: 'ZZ1 1AB' }]])(
    'leaves %j, a postcode without a street, number or name, unmatched', async (input) => {
      const r = await match(input);
      expect([r.status, r.uprn, r.candidates]).toEqual(['unmatched', null, []]);
      expect(r.explanation.reasons).toEqual([POSTCODE_ONLY_REASON]);
      expect(r.explanation.reasons[0]).toMatch(/^postcode-only: /);
    });
  it('still matches a name or a number with the postcode alone', async () => {
    expect(await match({ text: 'Rose Cottage', postcode: 'ZZ1 1AB' })).toMatchObject({ status: 'matched', uprn: 100004 });
    expect(await match({ text: '4', postcode: 'ZZ1 1AB' })).toMatchObject({ status: 'matched', uprn: 100006 });
  });
  it('says when the postcode given is not a valid postcode, and matches on the rest', async () => {
    const r = await match({ text: '4 Mill Lane, Northby', postcode: 'ZZ4 1PO' });
    expect([r.status, r.uprn]).toEqual(['matched', 100006]);
    expect(r.explanation.reasons).toEqual([INVALID_POSTCODE_REASON]);
    expect(r.explanation.reasons[0]).toMatch(/^invalid-postcode: /);
    expect((await match({ text: '4 Mill Lane, Northby', postcode: 'zz1 1ab' })).explanation.reasons).toEqual([]);
  });
  it('reads a control character (NUL, a C1 code) between words as a TAB or a space is read', async () => {
    for (const sep of ['\t', '\u0000', '\u0085', '\u001f']) {
      for (const text of [`4 Mill Lane${sep}ZZ1${sep}1AB`, `4${sep}Mill Lane,${sep}Northby`]) {
        const r = await match(text);
        expect([JSON.stringify(text), r.status, r.uprn]).toEqual([JSON.stringify(text), 'matched', 100006]);
      }
      expect(inputKey(`4 Mill Lane${sep}Northby`, null)).toBe(inputKey('4 Mill Lane Northby', null));
    }
    expect(await match({ text: '4 Mill Lane', postcode: 'ZZ1\u00001AB' })).toMatchObject({ status: 'matched', uprn: 100006 });
  });
});

describe('matchAddress: deterministic evidence', () => {
  it('accepts a supplied UPRN that fits the address', async () => {
    const r = await match({ text: '2 Mill Lane', uprn: 100001 });
    expect([r.status, r.uprn, r.explanation.evidence]).toEqual(['matched', 100001, 'uprn']);
  });
  it('accepts a council-tax cross reference', async () => {
    const r = await match({ text: '', crossReference: 'ctr0100001' });
    expect([r.status, r.uprn, r.explanation.evidence]).toEqual(['matched', 100001, 'cross-reference']);
  });
  it('does not trust a supplied UPRN that contradicts the address', async () => {
    const r = await match({ text: '4 Mill Lane ZZ1 1AB', uprn: 100005 });
    expect(r.status).toBe('review');
    expect(r.uprn).toBe(100006);
    expect(r.explanation.reasons.join(' ')).toMatch(/uprn does not fit/);
  });
  it('falls back to the address when the UPRN is unknown', async () => {
    const r = await match({ text: '4 Mill Lane ZZ1 1AB', uprn: 999 });
    expect([r.status, r.uprn, r.explanation.evidence]).toEqual(['matched', 100006, 'address']);
    expect(r.explanation.reasons).toContain('uprn not found in the gazetteer');
  });
});

describe('formatAddress and inputKey', () => {
  it('formats in BS 7666 order', () => {
    expect(formatAddress(ROWS[8]!)).toBe('FLAT 1, RIVERSIDE COURT, 5 HIGH STREET, EXAMPLETON, ZZ1 2BD');
    expect(formatAddress(ROWS[3]!)).toBe('12-14 MILL ROAD, NORTHBY, EXAMPLETON, ZZ1 1AD');
    expect(formatAddress(ROWS[4]!)).toBe('ROSE COTTAGE, MILL LANE, NORTHBY, EXAMPLETON, ZZ1 1AB');
  });
  it('keys equal inputs equally', () => {
    expect(inputKey('2 Mill Rd.', 'zz11ad')).toBe(inputKey('2 MILL ROAD', 'ZZ1 1AD'));
  });
});
