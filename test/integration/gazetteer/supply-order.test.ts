/**
 * A council's gazetteer arrives as a run of supplies: a FULL, then change-only
 * files, each dated in its header and perhaps split into volumes. Applying
 * one twice, one out of order, or a supply with a volume missing must be
 * refused with the gazetteer left as it was, never silently roll data back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES, type SupplyPlace } from '../../support/tiny-council.js';
import { scratchFiles } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-order-');
const file = scratch.file;

/** A COU renumbering 2A MILL LANE (UPRN 100002) to `number`. */
const renumber = (number: number, place: SupplyPlace) =>
  abpFile([fields(ABP[24], 24, { UPRN: 100002, LPI_KEY: '100002L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_START_NUMBER: number, USRN: 7001 }, 'U')], 'C', place);

const newHouse = (uprn: number) => abpPropertyRows({ uprn, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: uprn % 100 }, classification: 'RD04' });

describe('the order of gazetteer supplies', () => {
  let db: TestDatabase;
  const numberOf2A = async () =>
    (await db.pool.query<{ n: number }>(`SELECT pao_start_number AS n FROM gazetteer.address_index WHERE lpi_key = '100002L1'`)).rows[0]?.n;
  const uprns = async () => (await db.pool.query<{ uprn: string }>(`SELECT DISTINCT uprn FROM gazetteer.blpu ORDER BY uprn`)).rows.map((r) => Number(r.uprn));
  const full = (place: SupplyPlace, body = [...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))]) => abpFile(body, 'F', place);

  beforeAll(async () => {
    db = await createTestDatabase();
    await importGazetteer(db.url, [file('AddressBasePremium_FULL_2026-01-01_001.csv', full({ processDate: '2026-01-01' }))]);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('refuses a change-only file already applied, and one older than the gazetteer loaded, changing nothing', async () => {
    const feb = file('AddressBasePremium_COU_2026-02-01_001.csv', renumber(4, { processDate: '2026-02-01' }));
    const mar = file('AddressBasePremium_COU_2026-03-01_001.csv', renumber(6, { processDate: '2026-03-01' }));
    await importGazetteer(db.url, [feb]);
    await importGazetteer(db.url, [mar]);
    expect(await numberOf2A()).toBe(6);
    await expect(importGazetteer(db.url, [mar])).rejects.toThrow(/AddressBasePremium_COU_2026-03-01_001\.csv: .*already applied/);
    await expect(importGazetteer(db.url, [feb])).rejects.toThrow(/AddressBasePremium_COU_2026-02-01_001\.csv: .*older than .*2026-03-01/);
    expect(await numberOf2A()).toBe(6);
    const last = (await db.pool.query(`SELECT status, error FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(last).toMatchObject({ status: 'failed', error: expect.stringMatching(/older/) });
    // An operator going back on purpose says so.
    const midFeb = file('AddressBasePremium_COU_2026-02-15_001.csv', renumber(5, { processDate: '2026-02-15' }));
    await importGazetteer(db.url, [midFeb], { allowOlder: true });
    expect(await numberOf2A()).toBe(5);
  });

  it('refuses change-only files given out of order in one command, before applying any', async () => {
    const may = file('AddressBasePremium_COU_2026-05-01_001.csv', renumber(10, { processDate: '2026-05-01' }));
    const apr = file('AddressBasePremium_COU_2026-04-01_001.csv', renumber(8, { processDate: '2026-04-01' }));
    await expect(importGazetteer(db.url, [may, apr])).rejects.toThrow(/older than/);
    expect(await numberOf2A()).toBe(5);
    await importGazetteer(db.url, [apr, may]);
    expect(await numberOf2A()).toBe(10);
  });

  it('applies the volumes of a change-only supply together: a bad second volume leaves the first unapplied', async () => {
    const before = await uprns();
    const one = file('AddressBasePremium_COU_2026-06-01_001.csv', abpFile(newHouse(100050), 'C', { processDate: '2026-06-01', volume: 1, nextVolume: 2 }));
    const two = file('AddressBasePremium_COU_2026-06-01_002.csv', abpFile([...newHouse(100051), ['24', 'I', '1', 'broken']], 'C', { processDate: '2026-06-01', volume: 2 }));
    await expect(importGazetteer(db.url, [one, two])).rejects.toThrow(/malformed/);
    expect(await uprns()).toEqual(before);
    const twoFixed = file('AddressBasePremium_COU_2026-06-01_002b.csv', abpFile(newHouse(100051), 'C', { processDate: '2026-06-01', volume: 2 }));
    await importGazetteer(db.url, [one, twoFixed]);
    expect(await uprns()).toEqual([...before, 100050, 100051]);
  });

  it('refuses a supply with a volume missing, keeping the gazetteer serving', async () => {
    const before = await uprns();
    const streets = abpStreetRows();
    const houses = PROPERTIES.flatMap((p) => abpPropertyRows(p));
    const one = file('AddressBasePremium_FULL_2026-07-01_001.csv', full({ processDate: '2026-07-01', volume: 1, nextVolume: 2 }, [...streets, ...houses.slice(0, 10)]));
    const two = file('AddressBasePremium_FULL_2026-07-01_002.csv', full({ processDate: '2026-07-01', volume: 2, nextVolume: 3 }, houses.slice(10, 20)));
    const three = file('AddressBasePremium_FULL_2026-07-01_003.csv', full({ processDate: '2026-07-01', volume: 3 }, houses.slice(20)));
    await expect(importGazetteer(db.url, [one])).rejects.toThrow(/volume 2 .*missing/);
    await expect(importGazetteer(db.url, [one, three])).rejects.toThrow(/volume 2 .*missing/);
    await expect(importGazetteer(db.url, [two, three])).rejects.toThrow(/volume 1 .*missing/);
    const couOne = file('AddressBasePremium_COU_2026-07-02_001.csv', abpFile(newHouse(100052), 'C', { processDate: '2026-07-02', volume: 1, nextVolume: 2 }));
    await expect(importGazetteer(db.url, [couOne])).rejects.toThrow(/volume 2 .*missing/);
    expect(await uprns()).toEqual(before);
    await importGazetteer(db.url, [one, two, three]);
    expect(await uprns()).toEqual(PROPERTIES.map((p) => p.uprn).sort((a, b) => a - b));
  });
});
