/**
 * A council's own LLPG (DTF 7.3) can send a record changed to LOGICAL_STATUS
 * 9, rejected. The hub holds no rejected records, but in a change-only file
 * that change must take away what it held: skipping the line left the
 * address approved and offered as current.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, DTF, csv, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { tinyDtf } from '../../support/tiny-council.js';
import { scratchFiles } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-rejected-');
const file = scratch.file;

function dtfChanges(body: string[][]): string {
  const header = fields(ABP[10], 10, { CUSTODIAN_NAME: 'EXAMPLE COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: '2026-02-01', VOLUME_NUMBER: 1, ENTRY_DATE: '2026-02-01', TIME_STAMP: '00:00:00', VERSION: '7.3', FILE_TYPE: 'C' });
  const trailer = fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: 0, RECORD_COUNT: body.length, ENTRY_DATE: '2026-02-01', TIME_STAMP: '00:00:00' });
  return csv([header, ...body, trailer]);
}

describe('records changed to rejected in a change-only file', () => {
  let db: TestDatabase;
  const indexOf = async (uprn: number) =>
    (await db.pool.query(`SELECT lpi_key, logical_status, current FROM gazetteer.address_index WHERE uprn = $1 ORDER BY lpi_key`, [uprn])).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    await importGazetteer(db.url, [file('llpg_FULL.csv', tinyDtf())]);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('takes a rejected LPI out of the addresses offered, and a rejected BLPU with all its addresses', async () => {
    expect(await indexOf(100002)).toEqual([{ lpi_key: '100002L1', logical_status: 1, current: true }]);
    const body = [
      fields(DTF[24], 24, { UPRN: 100002, LPI_KEY: '100002L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 9, START_DATE: '2020-01-01', PAO_START_NUMBER: 2, PAO_START_SUFFIX: 'A', USRN: 7001, POSTCODE: 'ZZ1 1AB', POST_TOWN: 'EXAMPLETON' }, 'U'),
      fields(DTF[21], 21, { UPRN: 100005, LOGICAL_STATUS: 9, BLPU_STATE: 2, BLPU_CLASS: 'RD04', X_COORDINATE: 1, Y_COORDINATE: 1, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999, START_DATE: '2020-01-01' }, 'U'),
    ];
    const summary = await importGazetteer(db.url, [file('llpg_COU.csv', dtfChanges(body))]);
    expect(summary.skipped).toEqual({});
    expect(await indexOf(100002)).toEqual([]);
    expect(await indexOf(100005)).toEqual([]);
    const touched = (await db.pool.query(`SELECT uprn, change FROM gazetteer_touched WHERE import_id = $1 ORDER BY uprn`, [summary.importId])).rows;
    expect(touched).toEqual([{ uprn: 100002, change: 'updated' }, { uprn: 100005, change: 'deleted' }]);
  });

  it('still leaves rejected records out of a FULL supply', async () => {
    const full = tinyDtf().replace(/\r\n21,"I",1,100004,1,/, '\r\n21,"I",1,100004,9,');
    expect(full).not.toBe(tinyDtf());
    const summary = await importGazetteer(db.url, [file('llpg_FULL_2.csv', full)], { allowOlder: true });
    expect(summary.skipped).toEqual({ 21: 1 });
    expect(await indexOf(100004)).toEqual([]);
  });
});
