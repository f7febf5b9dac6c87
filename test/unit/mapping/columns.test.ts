import { describe, expect, it } from 'vitest';
import { loadDefaultMapping, readAndMap, type MappedItem } from '../../../adapters/mapping/index.js';

const HEADER = 'CARD_NUMBER,TITLE,FIRST_NAME,LAST_NAME,DATE_OF_BIRTH,ADDRESS,POSTCODE,CONCESSION,CONCESSION_EVIDENCE,ISSUED,EXPIRES,EMAIL,MOBILE';
const row = (ref: string) => `${ref},MR,ALAN,TESTER,01/02/1950,"1 TEST ROW, TESTTOWN",ZZ1 1AA,OAP,Passport seen,01/01/2024,01/01/2029,a@example.org,07700 900123`;

async function mapCsv(header: string, lines: string[]): Promise<MappedItem[]> {
  const mapping = await loadDefaultMapping('smartcard');
  const out: MappedItem[] = [];
  for await (const m of readAndMap(mapping, Buffer.from(`${[header, ...lines].join('\n')}\n`), { today: '2026-01-01' })) out.push(m);
  return out;
}

/** A CSV header without a column the mapping reads (renamed, dropped) would otherwise take every record in without that field. */
describe('a CSV extract missing a column the mapping reads', () => {
  it('rejects every record naming the missing column, keeping its raw text', async () => {
    const items = await mapCsv(HEADER.replace('DATE_OF_BIRTH', 'DOB'), [row('SC0001'), row('SC0002')]);
    expect(items.map((i) => ('reject' in i ? { line: i.position.line, field: i.reject.field, rule: i.reject.rule, raw: i.raw } : 'record'))).toEqual([
      { line: 2, field: 'DATE_OF_BIRTH', rule: 'missing-column', raw: row('SC0001') },
      { line: 3, field: 'DATE_OF_BIRTH', rule: 'missing-column', raw: row('SC0002') },
    ]);
  });

  it('maps as before when only extra columns are there', async () => {
    const items = await mapCsv(`${HEADER},NOTES`, [`${row('SC0001')},`]);
    expect(items.map((i) => ('record' in i ? i.record.sourceRef : i.reject.rule))).toEqual(['SC0001']);
  });
});

/** An unreadable record's text is what is needed to put it right: the reject keeps it, as a mapping reject does. */
describe('a record the reader cannot read', () => {
  it('keeps the raw text of a CSV row with the wrong number of fields or a stray quote', async () => {
    const short = 'SC0002,MR,ALAN,TESTER';
    const stray = `SC0003,MR,ALAN,TE"STER,01/02/1950,x,ZZ1 1AA,OAP,,,,,`;
    const items = await mapCsv(HEADER, [row('SC0001'), short, stray, row('SC0004')]);
    expect(items.map((i) => ('reject' in i ? { rule: i.reject.rule, raw: i.raw } : i.record.sourceRef))).toEqual([
      'SC0001', { rule: 'unreadable', raw: short }, { rule: 'unreadable', raw: stray }, 'SC0004',
    ]);
  });
});
