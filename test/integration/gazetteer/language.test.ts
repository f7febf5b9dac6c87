/**
 * A Welsh council's LLPG gives a property an English (ENG) and a Welsh (CYM)
 * address under one UPRN. The address answers carried no language, so a
 * contact centre could not tell which was which; the response schema
 * would have stripped the field had only the data carried it.
 */
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationNames, MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES } from '../../support/tiny-council.js';
import { scratchFiles } from '../../support/gazetteer-files.js';

interface Answer { uprn: number; lpiKey: string; language: string; line: string }

const scratch = scratchFiles('hub-gaz-language-');
const file = scratch.file;

const welshStreet = fields(ABP[15], 15, { USRN: 7002, STREET_DESCRIPTION: 'FFORDD Y FELIN', LOCALITY_NAME: 'NORTHBY', TOWN_NAME: 'EXAMPLETON', ADMINSTRATIVE_AREA: 'EXAMPLESHIRE', LANGUAGE: 'CYM' });
const welshLpi = (uprn: number, number: number) =>
  fields(ABP[24], 24, { UPRN: uprn, LPI_KEY: `${uprn}W1`, LANGUAGE: 'CYM', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_START_NUMBER: number, USRN: 7002 });

describe('the language of an address', () => {
  let hub: TestHub;
  let key: string;
  const get = async (url: string) => (await hub.app.inject({ url, headers: { authorization: `Bearer ${key}` } })).json();
  const languages = async () =>
    Object.fromEntries((await hub.db.pool.query<{ lpi_key: string; language: string }>(`SELECT lpi_key, language FROM gazetteer.address_index WHERE usrn = 7002`)).rows.map((r) => [r.lpi_key, r.language]));

  beforeAll(async () => {
    hub = await createTestHub();
    key = await hub.keyFor('adviser');
    const body = [...abpStreetRows(), welshStreet, ...PROPERTIES.flatMap((p) => abpPropertyRows(p)), welshLpi(100005, 2)];
    await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_2026-01-01_001.csv', abpFile(body, 'F', { processDate: '2026-01-01' }))]);
  });
  afterAll(async () => {
    await hub.close();
    scratch.remove();
  });

  it('tells the English and the Welsh address of one property apart', async () => {
    const property = await get('/v1/addresses/100005');
    expect(property.addresses.map((a: Answer) => [a.lpiKey, a.language, a.line])).toEqual([
      ['100005L1', 'ENG', '2 MILL ROAD, NORTHBY, EXAMPLETON, ZZ1 1AD'],
      ['100005W1', 'CYM', '2 FFORDD Y FELIN, NORTHBY, EXAMPLETON, ZZ1 1AD'],
    ]);
    expect((await get('/v1/addresses?q=2+ffordd+felin')).results[0]).toMatchObject({ uprn: 100005, language: 'CYM' });
    expect((await get('/v1/addresses?q=2+mill+road')).results[0]).toMatchObject({ uprn: 100005, language: 'ENG' });
    const street = await get('/v1/streets/7002');
    expect(street.addresses.map((a: Answer) => [a.lpiKey, a.language])).toEqual(expect.arrayContaining([['100005L1', 'ENG'], ['100005W1', 'CYM']]));
    // The children and parent of a property are address answers too.
    expect((await get('/v1/addresses/100011')).parent).toMatchObject({ uprn: 100010, language: 'ENG' });
  });

  it('gives a property in the language asked for, when an address in it matched', async () => {
    const inPostcode = async (query: string) =>
      ((await get(`/v1/addresses?postcode=ZZ1+1AD${query}&limit=20`)).results as Answer[]).filter((a) => a.uprn === 100005).map((a) => a.language);
    expect(await inPostcode('&language=ENG')).toEqual(['ENG']);
    expect(await inPostcode('&language=CYM')).toEqual(['CYM']);
    expect((await inPostcode('')).length).toBe(1);
    // Only the Welsh address has the words typed: it is the answer in any language.
    expect((await get('/v1/addresses?q=2+ffordd+felin&language=ENG')).results[0]).toMatchObject({ uprn: 100005, language: 'CYM' });
    expect((await hub.app.inject({ url: '/v1/addresses?postcode=ZZ1&language=welsh', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(400);
  });

  it('names the language of each address-match candidate', async () => {
    const welsh = await get('/v1/addresses/match?text=2+ffordd+y+felin&postcode=ZZ1+1AD');
    expect(welsh.candidates[0]).toMatchObject({ uprn: 100005, lpiKey: '100005W1', language: 'CYM' });
    const english = await get('/v1/addresses/match?text=2+mill+road&postcode=ZZ1+1AD');
    expect(english.candidates[0]).toMatchObject({ uprn: 100005, lpiKey: '100005L1', language: 'ENG' });
  });

  it('documents the language in the OpenAPI description of an address', async () => {
    const doc = (await hub.app.inject('/docs/json')).json();
    const search = doc.paths['/v1/addresses'].get.responses['200'].content['application/json'].schema;
    expect(search.properties.results.items.properties.language).toMatchObject({ type: 'string', description: expect.stringMatching(/CYM Welsh/) });
    expect(search.properties.results.items.required).toContain('language');
  });

  it('gives the language of an address a change-only file adds', async () => {
    const summary = await importGazetteer(hub.db.url, [file('AddressBasePremium_COU_2026-02-01_001.csv', abpFile([welshLpi(100003, 12)], 'C', { processDate: '2026-02-01' }))]);
    expect(summary.rejects).toEqual([]);
    expect(await languages()).toMatchObject({ '100003L1': 'ENG', '100003W1': 'CYM' });
  });

  it('fills the language of the addresses loaded before the hub kept it', async () => {
    const before = await languages();
    // 036 and every migration after it (they would be out of order with 036 undone alone), then up again.
    const names = await migrationNames();
    const count = names.length - names.indexOf('036_address_index_language');
    await runner({ databaseUrl: hub.db.url, dir: MIGRATIONS_DIR, direction: 'down', count, migrationsTable: 'pgmigrations', log: () => undefined });
    const dropped = await hub.db.pool.query(`SELECT 1 FROM information_schema.columns WHERE table_schema = 'gazetteer' AND table_name = 'address_index' AND column_name = 'language'`);
    expect(dropped.rowCount).toBe(0);
    await migrate(hub.db.url);
    expect(await languages()).toEqual(before);
  });
});
