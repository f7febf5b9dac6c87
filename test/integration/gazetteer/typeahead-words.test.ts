/**
 * The type-ahead finds an address however its words are written, as the
 * address matcher reads them: accents folded (a Welsh LÔN Y FELIN by "lon y
 * felin"), a postcode typed without its space, and the abbreviations of the
 * matcher's table both ways (RD for ROAD, SAINT for ST). The index keys are
 * folded in SQL (gazetteer_fold, migration 050) and the query in TypeScript
 * (searchWords): both must agree, letter by letter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchWords } from '../../../matching/address/index.js';
import { migrate, migrationNames, MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES } from '../../support/tiny-council.js';

interface Answer { uprn: number; lpiKey: string; language: string }

const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-typeahead-'));

const street = (usrn: number, description: string, language: string) => [
  ...(language === 'ENG' ? [fields(ABP[11], 11, { USRN: usrn, RECORD_TYPE: 1, STATE: 2, STREET_START_DATE: '2020-01-01', STREET_START_X: 400000, STREET_START_Y: 300000, STREET_END_X: 400100, STREET_END_Y: 300100 })] : []),
  fields(ABP[15], 15, { USRN: usrn, STREET_DESCRIPTION: description, LOCALITY_NAME: 'NORTHBY', TOWN_NAME: 'EXAMPLETON', ADMINSTRATIVE_AREA: 'EXAMPLESHIRE', LANGUAGE: language }),
];
// MILL LANE's Welsh name, and 2 MILL LANE's Welsh address on it.
const welshLpi = fields(ABP[24], 24, { UPRN: 100001, LPI_KEY: '100001W1', LANGUAGE: 'CYM', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_START_NUMBER: 2, USRN: 7001 });
const stJohns = { uprn: 100040, usrn: 7004, postcode: 'ZZ1 1AE', pao: { number: 3 }, classification: 'RD04' };

describe('type-ahead words', () => {
  let hub: TestHub;
  let key: string;
  const search = async (query: string) =>
    ((await hub.app.inject({ url: `/v1/addresses?${query}`, headers: { authorization: `Bearer ${key}` } })).json() as { results: Answer[] }).results;
  const uprns = async (query: string) => [...new Set((await search(`${query}&limit=20`)).map((a) => a.uprn))].sort();

  beforeAll(async () => {
    hub = await createTestHub();
    key = await hub.keyFor('adviser');
    const body = [
      ...abpStreetRows(), ...street(7001, 'LÔN Y FELIN', 'CYM'), ...street(7004, "ST JOHN'S ROAD", 'ENG'),
      ...PROPERTIES.flatMap((p) => abpPropertyRows(p)), welshLpi, ...abpPropertyRows(stJohns),
    ];
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, abpFile(body, 'F', { processDate: '2026-01-01' }));
    await importGazetteer(hub.db.url, [file]);
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a Welsh street typed with or without its accents', async () => {
    for (const q of ['lon+y+felin', 'l%C3%B4n+y+felin', 'L%C3%94N+Y+FELIN', '2+lon+y', 'lo+y+fel']) {
      const found = await search(`q=${q}`);
      expect([q, found[0]]).toEqual([q, expect.objectContaining({ uprn: 100001, lpiKey: '100001W1', language: 'CYM' })]);
    }
    // An accent typed inside a word the gazetteer writes without one: folded too, not taken for a break.
    expect((await search('q=2+lon+y+f%C3%A9lin'))[0]).toMatchObject({ uprn: 100001, language: 'CYM' });
    // A misspelling is corrected to the folded word.
    expect((await search('q=2+lon+y+fellin'))[0]).toMatchObject({ uprn: 100001, language: 'CYM' });
  });

  it('finds a postcode typed without its space, whole or in part, alone or after the address', async () => {
    expect(await uprns('q=zz11ab')).toEqual([100001, 100002, 100004]);
    expect(await uprns('q=ZZ11A')).toEqual([100001, 100002, 100003, 100004, 100005, 100040]);
    expect((await search('q=2+mill+lane+zz11ab'))[0]).toMatchObject({ uprn: 100001 });
    expect(await uprns('q=zz1+1ab')).toEqual([100001, 100002, 100004]);
  });

  it("reads the matcher's abbreviations both ways: RD and LN for ROAD and LANE, SAINT for ST", async () => {
    expect(await uprns('q=mill+rd')).toEqual([100003, 100005]);
    expect(await uprns('q=mill+ln')).toEqual([100001, 100002, 100004]);
    expect(await uprns('q=saint+johns')).toEqual([100040]);
    expect(await uprns('q=saint+johns+road')).toEqual([100040]);
    // With a number, the street's other addresses fill up the list after the ones typed.
    expect((await search('q=3+st+johns+rd'))[0]).toMatchObject({ uprn: 100040 });
    expect((await search('q=2+mill+ln'))[0]).toMatchObject({ uprn: 100001 });
    // Apostrophes are dropped, not read as a break: JOHNS is the word.
    expect(await uprns('q=johns')).toEqual([100040]);
    // & is AND, as the matcher reads it.
    expect(await uprns('q=jones+and+co')).toEqual([100020]);
    // The whole words of an abbreviation rank as whole words.
    expect((await search('q=2+mill+rd'))[0]).toMatchObject({ uprn: 100005 });
  });

  it('folds index keys in SQL as the query is folded, over every Latin letter and mark, between letters and alone', async () => {
    const ranges = [[0xa0, 0x24f], [0x1e00, 0x1eff], [0x300, 0x36f], [0x1ab0, 0x1aff], [0x1dc0, 0x1dff], [0x20d0, 0x20ff], [0xfe20, 0xfe2f], [0xfb00, 0xfb06], [0x2c60, 0x2c7f], [0xa720, 0xa7ff], [0x20, 0x7e], [0x2018, 0x201f]];
    // Unassigned code points left out: no address holds them, and Node and PostgreSQL know different Unicode versions.
    const chars = ranges.flatMap(([from, to]) => Array.from({ length: to! - from! + 1 }, (_, i) => String.fromCodePoint(from! + i))).filter((ch) => /\P{Cn}/u.test(ch));
    const texts = [...chars.flatMap((ch) => [`LO${ch}N 2${ch}A`, ch, `st john${ch}s`]), "St. John's Rd & Co", 'Straße', 'LÔN Y FELIN', '  ½ '];
    const { rows } = await hub.db.pool.query<{ text: string; folded: string }>(
      'SELECT t AS text, gazetteer_fold(t) AS folded FROM unnest($1::text[]) AS t WHERE unicode_assigned(t)', [texts]);
    expect(rows.length).toBeGreaterThan(2_000);
    const differ = rows.flatMap(({ text, folded }) => {
      const want = searchWords(text).join(' ');
      return folded === want ? [] : [`${text} (U+${[...text].map((c) => c.codePointAt(0)!.toString(16)).join(' ')}): ${folded} not ${want}`];
    });
    expect(differ).toEqual([]);
  });

  it('rebuilds the keys of addresses loaded before the index folded them (migration 050)', async () => {
    const names = await migrationNames();
    const count = names.length - names.indexOf('050_gazetteer_search_fold');
    await runner({ databaseUrl: hub.db.url, dir: MIGRATIONS_DIR, direction: 'down', count, migrationsTable: 'pgmigrations', log: () => undefined });
    // As the index was before: the accent split the word, and the postcode was there only with its space.
    expect(await search('q=lon+y+felin')).toEqual([]);
    expect(await search('q=zz11ab')).toEqual([]);
    await migrate(hub.db.url);
    expect((await search('q=lon+y+felin'))[0]).toMatchObject({ uprn: 100001, language: 'CYM' });
    expect(await uprns('q=zz11ab')).toEqual([100001, 100002, 100004]);
    expect((await search('q=2+lon+y+fellin'))[0]).toMatchObject({ uprn: 100001, language: 'CYM' });
  });
});
