/**
 * A change-only record must fit what the gazetteer holds: an update or a
 * delete of a key it does not hold, or an insert of a key it holds, means
 * the hub's copy and the supplier's have parted. Such records are refused
 * and reported with their line, type, key and rule, and the rest of the
 * supply is applied; they used to be applied without a word. And a BLPU
 * deleted by a supply ends its addresses on the supply's date, not on the
 * day the file happened to be imported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, DTF, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, abpStreetRows, dtfFile, PROPERTIES } from '../../support/tiny-council.js';
import { scratchFiles } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-rules-');
const file = scratch.file;

const lpi = (values: Record<string, string | number>, change: string) =>
  fields(ABP[24], 24, { LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', ...values }, change);
const blpu = (values: Record<string, string | number>, change: string) =>
  fields(ABP[21], 21, { LOGICAL_STATUS: 1, BLPU_STATE: 2, X_COORDINATE: 400000, Y_COORDINATE: 300000, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999, START_DATE: '2020-01-01', ...values }, change);
const dtfBlpu = (values: Record<string, string | number>) =>
  fields(DTF[21], 21, { LOGICAL_STATUS: 1, BLPU_STATE: 2, BLPU_CLASS: 'RD04', X_COORDINATE: 400000, Y_COORDINATE: 300000, RPC: 1, LOCAL_CUSTODIAN_CODE: 9999, START_DATE: '2020-01-01', ...values }, 'U');

describe('change-only records that do not fit the gazetteer', () => {
  let db: TestDatabase;
  const one = async (query: string, params: unknown[]) => (await db.pool.query(query, params)).rows[0] as Record<string, unknown> | undefined;
  const touchedBy = async (importId: number) =>
    Object.fromEntries((await db.pool.query<{ uprn: number; change: string }>(`SELECT uprn, change FROM gazetteer_touched WHERE import_id = $1`, [importId])).rows.map((r) => [r.uprn, r.change]));

  beforeAll(async () => {
    db = await createTestDatabase();
    const full = abpFile([...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))], 'F', { processDate: '2024-01-01' });
    await importGazetteer(db.url, [file('AddressBasePremium_FULL_2024-01-01_001.csv', full)]);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('reports an update or delete of a record not held and an insert of a key held, refusing the insert, and applies the rest', async () => {
    const name = 'AddressBasePremium_COU_2024-02-01_001.csv';
    const body = [
      lpi({ UPRN: 100002, LPI_KEY: '100002L9', PAO_START_NUMBER: 6, USRN: 7001 }, 'U'),
      blpu({ UPRN: 100099 }, 'D'),
      blpu({ UPRN: 100001, X_COORDINATE: 999999 }, 'I'),
      lpi({ UPRN: 100002, LPI_KEY: '100002L1', PAO_START_NUMBER: 40, USRN: 7001 }, 'I'),
      fields(ABP[15], 15, { USRN: 7009, STREET_DESCRIPTION: 'NOWHERE LANE', LANGUAGE: 'ENG' }, 'U'),
      lpi({ UPRN: 100005, LPI_KEY: '100005L1', PAO_START_NUMBER: 3, USRN: 7002 }, 'U'),
      ...abpPropertyRows({ uprn: 100030, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: 9 }, classification: 'RD04' }),
    ];
    const summary = await importGazetteer(db.url, [file(name, abpFile(body, 'C', { processDate: '2024-02-01' }))]);
    const expected = [
      { file: name, line: 2, recordType: 24, key: 'LPI_KEY 100002L9', rule: 'update-of-missing-record' },
      { file: name, line: 3, recordType: 21, key: 'UPRN 100099', rule: 'delete-of-missing-record' },
      { file: name, line: 4, recordType: 21, key: 'UPRN 100001', rule: 'insert-of-existing-record' },
      { file: name, line: 5, recordType: 24, key: 'LPI_KEY 100002L1', rule: 'insert-of-existing-record' },
      { file: name, line: 6, recordType: 15, key: 'USRN 7009 LANGUAGE ENG', rule: 'update-of-missing-record' },
    ];
    expect(summary.rejects).toEqual(expected.map((r) => ({ ...r, reason: expect.stringContaining(`record ${r.recordType} ${r.key}: ${r.rule}`) })));
    // Kept with the import, as its other rejects are; the import itself is applied.
    const recorded = await one(`SELECT status, rejects FROM gazetteer_import WHERE id = $1`, [summary.importId]);
    expect(recorded).toMatchObject({ status: 'applied', rejects: expected.map((r) => expect.objectContaining(r)) });

    // An update of a key not held is applied as an insert all the same (a record the supplier had rejected, reinstated).
    expect(await one(`SELECT pao_start_number FROM gazetteer.lpi WHERE lpi_key = '100002L9'`, [])).toEqual({ pao_start_number: 6 });
    expect(await one(`SELECT description FROM gazetteer.street_descriptor WHERE usrn = 7009`, [])).toEqual({ description: 'NOWHERE LANE' });
    expect(await one(`SELECT x FROM gazetteer.blpu WHERE uprn = 100001`, [])).toEqual({ x: 400001 });
    expect(await one(`SELECT pao_start_number, pao_start_suffix FROM gazetteer.address_index WHERE lpi_key = '100002L1'`, [])).toEqual({ pao_start_number: 2, pao_start_suffix: 'A' });
    expect(await one(`SELECT pao_start_number FROM gazetteer.address_index WHERE lpi_key = '100005L1'`, [])).toEqual({ pao_start_number: 3 });
    expect(await one(`SELECT current FROM gazetteer.address_index WHERE uprn = 100030`, [])).toEqual({ current: true });
    // Refused records change nothing, so they send no source record back to matching; the reinstated address does.
    expect(await touchedBy(summary.importId)).toEqual({ 100002: 'updated', 100005: 'updated', 100030: 'inserted' });
  });

  it('decides each change of a key changed several times in one supply by the changes before it', async () => {
    const name = 'AddressBasePremium_COU_2024-03-01_001.csv';
    const rose = (text: string, change: string) => lpi({ UPRN: 100004, LPI_KEY: '100004L5', LOGICAL_STATUS: 3, PAO_TEXT: text, USRN: 7001 }, change);
    const body = [
      rose('ROSE HOUSE', 'I'),
      rose('ROSE HALL', 'U'),
      rose('ROSE MANOR', 'I'),
      rose('ROSE HALL', 'D'),
      rose('ROSE LODGE', 'U'),
      rose('ROSE LODGE', 'D'),
      rose('ROSE VILLA', 'I'),
      fields(ABP[32], 32, { UPRN: 100003, CLASS_KEY: '100003C1', CLASSIFICATION_CODE: 'RD03', START_DATE: '2020-01-01' }, 'D'),
      fields(ABP[32], 32, { UPRN: 100003, CLASS_KEY: '100003C1', CLASSIFICATION_CODE: 'RD04', START_DATE: '2020-01-01' }, 'I'),
    ];
    const summary = await importGazetteer(db.url, [file(name, abpFile(body, 'C', { processDate: '2024-03-01' }))]);
    // The U of line 6 is applied, as an insert, so the D after it finds the key held.
    expect(summary.rejects.map((r) => [r.line, r.rule])).toEqual([
      [4, 'insert-of-existing-record'],
      [6, 'update-of-missing-record'],
    ]);
    expect(await one(`SELECT logical_status, pao_text FROM gazetteer.address_index WHERE lpi_key = '100004L5'`, [])).toEqual({ logical_status: 3, pao_text: 'ROSE VILLA' });
    expect(await one(`SELECT code FROM gazetteer.classification WHERE class_key = '100003C1'`, [])).toEqual({ code: 'RD04' });
  });

  it('lets DTF organisations follow their BLPU line, and a record not held change to rejected, without a reject', async () => {
    const body = [
      // An organisation moves into 2 MILL ROAD, which had none: its record is new, though the line is an update.
      dtfBlpu({ UPRN: 100005, ORGANISATION: 'CORNER SHOP' }),
      // No organisation before or after: the delete the line implies finds nothing to delete.
      dtfBlpu({ UPRN: 100002 }),
      dtfBlpu({ UPRN: 100098, ORGANISATION: 'GHOST TRADING' }),
      fields(DTF[24], 24, { UPRN: 100005, LPI_KEY: '100005L7', LANGUAGE: 'ENG', LOGICAL_STATUS: 9, START_DATE: '2020-01-01', PAO_START_NUMBER: 4, USRN: 7002 }, 'U'),
    ];
    const summary = await importGazetteer(db.url, [file('llpg_COU_2024-03-15.csv', dtfFile(body, 'C', { processDate: '2024-03-15' }))]);
    expect(summary.formats).toEqual(['dtf']);
    expect(summary.rejects).toEqual([expect.objectContaining({ line: 4, recordType: 21, key: 'UPRN 100098', rule: 'update-of-missing-record' })]);
    const organisations = (await db.pool.query(`SELECT org_key, organisation FROM gazetteer.organisation WHERE uprn IN (100002, 100005, 100098) ORDER BY org_key`)).rows;
    // The BLPU not held is taken as reinstated, and its organisation with it.
    expect(organisations).toEqual([{ org_key: 'DTF21-100005', organisation: 'CORNER SHOP' }, { org_key: 'DTF21-100098', organisation: 'GHOST TRADING' }]);
    expect(await one(`SELECT organisation FROM gazetteer.address_index WHERE lpi_key = '100005L1'`, [])).toEqual({ organisation: 'CORNER SHOP' });
  });

  it('moves an address to another property, touching the property it left', async () => {
    const moved = lpi({ UPRN: 100005, LPI_KEY: '100002L1', PAO_START_NUMBER: 2, PAO_START_SUFFIX: 'A', USRN: 7001 }, 'U');
    const summary = await importGazetteer(db.url, [file('AddressBasePremium_COU_2024-03-20_001.csv', abpFile([moved], 'C', { processDate: '2024-03-20' }))]);
    expect(summary.rejects).toEqual([]);
    expect((await db.pool.query(`SELECT uprn FROM gazetteer.address_index WHERE lpi_key = '100002L1'`)).rows).toEqual([{ uprn: 100005 }]);
    expect(await touchedBy(summary.importId)).toEqual({ 100002: 'updated', 100005: 'updated' });
  });

  it("ends the addresses of a deleted BLPU on the supply's date, or the date the deleting record gives", async () => {
    const body = [
      blpu({ UPRN: 100004 }, 'D'),
      blpu({ UPRN: 100003, END_DATE: '2024-04-20' }, 'D'),
      blpu({ UPRN: 100001 }, 'D'),
      blpu({ UPRN: 100012 }, 'D'),
      // Written after the delete: the supplier's word on this address stands.
      lpi({ UPRN: 100012, LPI_KEY: '100012L1', LOGICAL_STATUS: 6, SAO_TEXT: 'FLAT', SAO_START_NUMBER: 2, PAO_START_NUMBER: 5, PAO_TEXT: 'RIVERSIDE COURT', USRN: 7003 }, 'U'),
    ];
    // No date in the name: the header's PROCESS_DATE is the supply's date.
    await importGazetteer(db.url, [file('council-changes-may.csv', abpFile(body, 'C', { processDate: '2024-05-01' }))]);
    const ends = Object.fromEntries((await db.pool.query<{ lpi_key: string; logical_status: number; end_date: string | null }>(
      `SELECT lpi_key, logical_status, end_date FROM gazetteer.lpi WHERE uprn IN (100001, 100003, 100004, 100012) ORDER BY lpi_key`)).rows.map((r) => [r.lpi_key, [r.logical_status, r.end_date]]));
    expect(ends).toEqual({
      '100001L1': [8, '2024-05-01'],
      // Historic already: it keeps its own end date.
      '100001L2': [8, '2019-12-31'],
      '100003L1': [8, '2024-04-20'],
      '100004L1': [8, '2024-05-01'],
      '100004L5': [8, '2024-05-01'],
      '100012L1': [6, null],
    });
  });
});
