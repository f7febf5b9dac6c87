import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { abpFile, abpPropertyRows, PROPERTIES, tinyAbp, tinyDtf } from '../../support/tiny-council.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-gaz-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('gazetteer import', () => {
  let hub: TestHub;
  let key: string;
  const indexRows = async () =>
    (await hub.db.pool.query(`SELECT * FROM gazetteer.address_index ORDER BY lpi_key`)).rows.map(({ search_vector: _v, ...r }) => r);
  const get = (url: string) => hub.app.inject({ url, headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    hub = await createTestHub();
    key = await hub.keyFor('adviser');
  });
  afterAll(async () => {
    await hub.close();

    rmSync(dir, { recursive: true, force: true });
  });

  it('loads an AddressBase Premium FULL supply and builds the address index', async () => {
    const summary = await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_2026-01-01_001.csv', tinyAbp())]);
    expect(summary.fileType).toBe('FULL');
    expect(summary.formats).toEqual(['abp']);
    expect(summary.records).toMatchObject({ 11: 3, 15: 3, 21: PROPERTIES.length, 23: 1, 31: 1 });
    expect(summary.rejects).toEqual([]);
    // One row per LPI: one approved each plus one historic.
    expect(summary.addresses).toBe(PROPERTIES.length + 1);
    const forge = (await hub.db.pool.query(`SELECT organisation, pao_text FROM gazetteer.address_index WHERE uprn = 100020`)).rows[0];
    expect(forge).toEqual({ organisation: 'SMITH, JONES & CO', pao_text: 'THE "OLD" FORGE' });
    const flat = (await hub.db.pool.query(`SELECT parent_uprn, sao_text, sao_start_number, postcode, sector, street, locality, town FROM gazetteer.address_index WHERE uprn = 100011`)).rows[0];
    expect(flat).toEqual({ parent_uprn: 100010, sao_text: 'FLAT', sao_start_number: 1, postcode: 'ZZ1 2BD', sector: 'ZZ1 2', street: 'HIGH STREET', locality: null, town: 'EXAMPLETON' });
  });

  it('gives the identical address index from the same council in DTF 7.3', async () => {
    const fromAbp = await indexRows();
    const summary = await importGazetteer(hub.db.url, [file('council_dtf.csv', tinyDtf())]);
    expect(summary.formats).toEqual(['dtf']);
    expect(await indexRows()).toEqual(fromAbp);
  });

  it('leaves the previous gazetteer serving when a file has a broken line', async () => {
    await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_a.csv', tinyAbp())]);
    const before = await indexRows();
    const lines = tinyAbp().split('\r\n');
    lines.splice(5, 0, '21,I,1,NOT-A-UPRN,1');
    const error = await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_b.csv', lines.join('\r\n'))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GazetteerImportError);
    expect((error as Error).message).toMatch(/AddressBasePremium_FULL_b\.csv: 1 malformed line\(s\), the first at line 6/);
    expect((error as GazetteerImportError).summary?.rejects[0]).toMatchObject({ file: 'AddressBasePremium_FULL_b.csv', line: 6 });
    expect(await indexRows()).toEqual(before);
    const failed = (await hub.db.pool.query(`SELECT status, error FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(failed.status).toBe('failed');
  });

  it('refuses a truncated file and a trailer that disagrees, keeping the previous gazetteer', async () => {
    const before = await indexRows();
    const whole = tinyAbp();
    const cut = await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_cut.csv', whole.slice(0, whole.length - 120))]).catch((e: unknown) => e);
    expect((cut as Error).message).toMatch(/truncated|malformed/);
    const wrongCount = whole.replace(/\r\n99,0,(\d+),/, (_m, n: string) => `\r\n99,0,${Number(n) + 1},`);
    const mismatch = await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_count.csv', wrongCount)]).catch((e: unknown) => e);
    expect((mismatch as Error).message).toMatch(/trailer says \d+ records but the file has \d+/);
    expect(await indexRows()).toEqual(before);
  });

  it('applies a change-only file: insert, update, delete and retirement with a successor, recording touched UPRNs', async () => {
    const newHouse = { uprn: 100030, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: 9 }, classification: 'RD04' };
    const successor = { uprn: 100031, usrn: 7002, postcode: 'ZZ1 1AD', pao: { number: 12 }, classification: 'RD04' };
    const p3 = PROPERTIES.find((p) => p.uprn === 100003)!;
    const body = [
      ...abpPropertyRows(newHouse),
      // 2A becomes 4: the old LPI turns historic, a new approved LPI is inserted.
      fields(ABP[24], 24, { UPRN: 100002, LPI_KEY: '100002L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 8, START_DATE: '2020-01-01', END_DATE: '2026-01-01', PAO_START_NUMBER: 2, PAO_START_SUFFIX: 'A', USRN: 7001 }, 'U'),
      fields(ABP[24], 24, { UPRN: 100002, LPI_KEY: '100002L3', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2026-01-01', PAO_START_NUMBER: 4, USRN: 7001 }, 'I'),
      fields(ABP[21], 21, { UPRN: 100004, LOGICAL_STATUS: 1 }, 'D'),
      // 12-14 is split: the range retires in favour of 12.
      abpPropertyRows({ ...p3, status: 8 }, 'U')[0]!,
      ...abpPropertyRows(successor),
      fields(ABP[30], 30, { UPRN: 100003, SUCC_KEY: '100003S1', START_DATE: '2026-01-01', SUCCESSOR: 100031 }, 'I'),
    ];
    const summary = await importGazetteer(hub.db.url, [file('AddressBasePremium_COU_2026-02-01_001.csv', abpFile(body, 'C'))]);
    expect(summary.fileType).toBe('COU');
    const touched = Object.fromEntries((await hub.db.pool.query<{ uprn: number; change: string; successor: number | null }>(
      `SELECT uprn, change, successor FROM gazetteer_touched WHERE import_id = $1`, [summary.importId])).rows.map((r) => [r.uprn, [r.change, r.successor]]));
    expect(touched).toEqual({
      100030: ['inserted', null], 100031: ['inserted', null], 100002: ['updated', null], 100004: ['deleted', null], 100003: ['retired', 100031],
    });
    const statuses = (await hub.db.pool.query(`SELECT lpi_key, logical_status, pao_start_number, pao_start_suffix FROM gazetteer.address_index WHERE uprn = 100002 ORDER BY lpi_key`)).rows;
    expect(statuses).toEqual([
      { lpi_key: '100002L1', logical_status: 8, pao_start_number: 2, pao_start_suffix: 'A' },
      { lpi_key: '100002L3', logical_status: 1, pao_start_number: 4, pao_start_suffix: null },
    ]);
    expect((await hub.db.pool.query(`SELECT 1 FROM gazetteer.address_index WHERE uprn = 100004`)).rowCount).toBe(0);
    // ROSE was only in ROSE COTTAGE, so misspellings are no longer corrected to it; COTTAGE stays (MILLERS COTTAGE).
    const words = (await hub.db.pool.query(`SELECT word FROM gazetteer.address_word WHERE word IN ('rose', 'cottage') ORDER BY word`)).rows;
    expect(words).toEqual([{ word: 'cottage' }]);
    const retired = await get('/v1/addresses/100003');
    expect(retired.json()).toMatchObject({ logicalStatus: 8, successorUprn: 100031 });
    expect((await get('/v1/addresses/100004')).statusCode).toBe(404);
  });

  it('rolls a change-only file back whole when one line is bad', async () => {
    const before = await indexRows();
    const body = [
      ...abpPropertyRows({ uprn: 100040, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: 11 }, classification: 'RD04' }),
      ['24', 'I', '1', 'broken'],
    ];
    // Dated after the change-only file before, which would otherwise be refused as applied already.
    await expect(importGazetteer(hub.db.url, [file('AddressBasePremium_COU_bad.csv', abpFile(body, 'C', { processDate: '2026-01-02' }))])).rejects.toThrow(/malformed/);
    expect(await indexRows()).toEqual(before);
  });

  it('counts unknown record types as skipped, not errors', async () => {
    const text = tinyAbp().replace(/\r\n99,/, '\r\n29,"EXAMPLE GAZ","LOCAL","","","","","","","9999","","","","","","ENG","UTF-8"\r\n99,')
      .replace(/\r\n99,0,(\d+),/, (_m, n: string) => `\r\n99,0,${Number(n) + 1},`);
    const summary = await importGazetteer(hub.db.url, [file('AddressBasePremium_FULL_meta.csv', text)]);
    expect(summary.skipped).toEqual({ 29: 1 });
    expect(summary.rejects).toEqual([]);
  });
});
