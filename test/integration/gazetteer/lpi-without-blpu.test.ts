/**
 * A BS 7666 address (LPI) belongs to a BLPU. An LPI for a UPRN with no BLPU,
 * neither held nor in the supply, used to be taken without a word: stored
 * where no search finds it, or, as an update, moving an address off its
 * property to nowhere. A change-only supply now refuses and reports it, as
 * it does the other records that do not fit, and applies the rest; a FULL
 * supply with one is refused whole, as one that breaks a key is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import type { TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, tinyAbp } from '../../support/tiny-council.js';
import { scratchFiles, tinyGazetteerDatabase } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-orphan-');
const file = scratch.file;

const lpi = (uprn: number, key: string, change: string, pao = 1) =>
  fields(ABP[24], 24, { UPRN: uprn, LPI_KEY: key, LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_START_NUMBER: pao, USRN: 7003 }, change);
const blpu = (uprn: number) => abpPropertyRows({ uprn, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: uprn % 100 }, classification: 'RD04' })[0]!;

describe('an LPI whose UPRN has no BLPU', () => {
  let db: TestDatabase;
  const one = async (query: string) => (await db.pool.query(query)).rows[0] as Record<string, unknown> | undefined;
  const index = async () => (await db.pool.query(`SELECT lpi_key, uprn FROM gazetteer.address_index ORDER BY lpi_key`)).rows;

  beforeAll(async () => {
    db = await tinyGazetteerDatabase(scratch);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('is refused and reported in a change-only supply, which applies the rest, wherever in the supply the BLPU comes', async () => {
    const first = 'AddressBasePremium_COU_2026-02-01_001.csv';
    const second = 'AddressBasePremium_COU_2026-02-01_002.csv';
    const one1 = [
      lpi(100777, '100777L1', 'I'),
      // Would move 2A MILL LANE to a property that does not exist.
      lpi(100888, '100002L1', 'U', 2),
      // Its BLPU comes on the next line; and the BLPU of the LPI of the second file at the end of this one.
      lpi(100070, '100070L1', 'I', 70),
      blpu(100070),
      // The insert of line 2 was refused, so this update finds the key not held: applied as an insert, and said so.
      lpi(100001, '100777L1', 'U', 77),
      blpu(100071),
    ];
    const files = [
      file(first, abpFile(one1, 'C', { processDate: '2026-02-01', volume: 1, nextVolume: 2 })),
      file(second, abpFile([lpi(100071, '100071L1', 'I', 71)], 'C', { processDate: '2026-02-01', volume: 2 })),
    ];
    const summary = await importGazetteer(db.url, files);
    expect(summary.rejects).toEqual([
      {
        file: first, line: 2, recordType: 24, key: 'LPI_KEY 100777L1', rule: 'lpi-of-missing-blpu',
        reason: expect.stringMatching(/^record 24 LPI_KEY 100777L1: lpi-of-missing-blpu \(UPRN 100777: .*no BLPU, neither held nor in the supply, refused/),
      },
      {
        file: first, line: 3, recordType: 24, key: 'LPI_KEY 100002L1', rule: 'lpi-of-missing-blpu',
        reason: expect.stringContaining('UPRN 100888'),
      },
      { file: first, line: 6, recordType: 24, key: 'LPI_KEY 100777L1', rule: 'update-of-missing-record', reason: expect.any(String) },
    ]);
    const recorded = await one(`SELECT status, rejects FROM gazetteer_import WHERE id = ${summary.importId}`);
    expect(recorded).toMatchObject({ status: 'applied', rejects: [expect.objectContaining({ line: 2, rule: 'lpi-of-missing-blpu' }), expect.anything(), expect.anything()] });

    expect(await one(`SELECT uprn FROM gazetteer.lpi WHERE lpi_key = '100002L1'`)).toEqual({ uprn: 100002 });
    expect(await one(`SELECT uprn FROM gazetteer.address_index WHERE lpi_key = '100002L1'`)).toEqual({ uprn: 100002 });
    expect(await one(`SELECT uprn, pao_start_number FROM gazetteer.lpi WHERE lpi_key = '100777L1'`)).toEqual({ uprn: 100001, pao_start_number: 77 });
    expect((await db.pool.query(`SELECT 1 FROM gazetteer.lpi WHERE uprn IN (100777, 100888)`)).rowCount).toBe(0);
    expect((await db.pool.query(`SELECT lpi_key, uprn FROM gazetteer.address_index WHERE uprn IN (100070, 100071) ORDER BY lpi_key`)).rows)
      .toEqual([{ lpi_key: '100070L1', uprn: 100070 }, { lpi_key: '100071L1', uprn: 100071 }]);
    const touched = (await db.pool.query(`SELECT uprn, change FROM gazetteer_touched WHERE import_id = $1 ORDER BY uprn`, [summary.importId])).rows;
    expect(touched).toEqual([{ uprn: 100001, change: 'updated' }, { uprn: 100070, change: 'inserted' }, { uprn: 100071, change: 'inserted' }]);
  });

  it('refuses a FULL supply with one whole, naming its file, line and key, and keeps the gazetteer serving', async () => {
    const before = await index();
    const lines = tinyAbp().split('\r\n');
    const orphan = lpi(100999, '100999L1', 'I').join(',');
    // After the header and the streets; the trailer counts it.
    lines.splice(7, 0, orphan);
    const text = lines.join('\r\n').replace(/\r\n99,0,(\d+),/, (_m, n: string) => `\r\n99,0,${Number(n) + 1},`);
    const name = 'AddressBasePremium_FULL_2026-01-01_002.csv';
    // The tiny council's header is dated before the change-only supply above.
    const error = await importGazetteer(db.url, [file(name, text)], { allowOlder: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GazetteerImportError);
    expect((error as Error).message).toBe(
      `1 address record(s) (LPI) of a UPRN with no BLPU in the supply, the first at ${name} line 8: a FULL supply must hold the BLPU of every address`);
    expect((error as GazetteerImportError).summary?.rejects).toEqual([{
      file: name, line: 8, recordType: 24, key: 'LPI_KEY 100999L1', rule: 'lpi-of-missing-blpu',
      reason: 'record 24 LPI_KEY 100999L1: lpi-of-missing-blpu (UPRN 100999: an address of a UPRN that has no BLPU in the supply)',
    }]);
    expect(await index()).toEqual(before);
    expect(await one(`SELECT status, jsonb_array_length(rejects) AS n FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).toEqual({ status: 'failed', n: 1 });
  });
});
