/**
 * A UPRN is 1 to 12 digits and a USRN 1 to 8 (shared/reference/identifiers.md).
 * A change-only file with a BLPU and an LPI for UPRN 9999999999999, 0 or -5
 * used to import with no reject, the matcher then offering the 13-digit
 * UPRN; and a 13-digit UPRN on an update of an existing LPI moved the
 * address off its property. Such lines are malformed: the command is
 * refused, each named by file, line, field and rule, and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, DTF, fields } from '../../unit/gazetteer-readers/build.js';
import type { TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, dtfFile } from '../../support/tiny-council.js';
import { scratchFiles, tinyGazetteerDatabase } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-ids-');
const file = scratch.file;

const UPRN_RULE = 'not a UPRN (a whole number from 1 to 999999999999, at most 12 digits)';

describe('identifiers in gazetteer supplies', () => {
  let db: TestDatabase;
  const index = async () => (await db.pool.query(`SELECT lpi_key, uprn, usrn, pao_start_number FROM gazetteer.address_index ORDER BY lpi_key`)).rows;
  const refused = async (files: string[]) => {
    const error = await importGazetteer(db.url, files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GazetteerImportError);
    return error as GazetteerImportError;
  };

  beforeAll(async () => {
    db = await tinyGazetteerDatabase(scratch);
  });
  afterAll(async () => {
    await db.drop();
    scratch.remove();
  });

  it('refuses a change-only file whose BLPUs and LPIs have a UPRN of 13 digits, 0 or -5, naming each line, field and rule', async () => {
    const before = await index();
    const property = (uprn: string) => abpPropertyRows({ uprn: 100060, usrn: 7003, postcode: 'ZZ1 2BE', pao: { number: 60 }, classification: 'RD04' })
      .slice(0, 2).map((row) => row.map((v, i) => (i === 3 ? uprn : v)));
    const body = [...property('9999999999999'), ...property('0'), ...property('-5')];
    const name = 'AddressBasePremium_COU_2026-02-01_001.csv';
    const error = await refused([file(name, abpFile(body, 'C', { processDate: '2026-02-01' }))]);
    expect(error.message).toMatch(/6 malformed line\(s\), the first at line 2: record 21 field UPRN: not a UPRN/);
    expect(error.summary?.rejects).toEqual([2, 3, 4, 5, 6, 7].map((line) => ({
      file: name, line, reason: `record ${line % 2 === 0 ? 21 : 24} field UPRN: ${UPRN_RULE}`,
    })));
    expect(JSON.stringify(error.summary)).not.toContain('9999999999999');
    expect(await index()).toEqual(before);
    expect((await db.pool.query(`SELECT uprn FROM gazetteer.blpu WHERE uprn NOT BETWEEN 1 AND 999999999999`)).rows).toEqual([]);
    const recorded = (await db.pool.query(`SELECT status, jsonb_array_length(rejects) AS n FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0];
    expect(recorded).toEqual({ status: 'failed', n: 6 });
  });

  it('refuses a 13-digit UPRN on an update of an existing LPI, which stays on its property', async () => {
    const moved = fields(ABP[24], 24, { UPRN: '1202600000940', LPI_KEY: '100002L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_START_NUMBER: 2, PAO_START_SUFFIX: 'A', USRN: 7001 }, 'U');
    const name = 'AddressBasePremium_COU_2026-02-02_001.csv';
    const error = await refused([file(name, abpFile([moved], 'C', { processDate: '2026-02-02' }))]);
    expect(error.summary?.rejects).toEqual([{ file: name, line: 2, reason: `record 24 field UPRN: ${UPRN_RULE}` }]);
    expect((await db.pool.query(`SELECT uprn FROM gazetteer.lpi WHERE lpi_key = '100002L1'`)).rows).toEqual([{ uprn: 100002 }]);
  });

  it('refuses a parent UPRN, a successor, a USRN and a UDPRN out of range, and a DTF UPRN or USRN alike', async () => {
    const before = await index();
    const abp = [
      fields(ABP[21], 21, { UPRN: 100001, LOGICAL_STATUS: 1, PARENT_UPRN: '1000000000000', START_DATE: '2020-01-01' }, 'U'),
      fields(ABP[30], 30, { UPRN: 100001, SUCC_KEY: '100001S1', SUCCESSOR: 0 }, 'I'),
      fields(ABP[24], 24, { UPRN: 100001, LPI_KEY: '100001L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: 2, USRN: '123456789' }, 'U'),
      fields(ABP[28], 28, { UPRN: 100001, UDPRN: '100000000', POSTCODE: 'ZZ1 1AB' }, 'U'),
      // Fits no integer column: COPY used to fail the whole command on it without naming the line.
      fields(ABP[24], 24, { UPRN: 100001, LPI_KEY: '100001L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: '99999999999', USRN: 7001 }, 'U'),
    ];
    const abpName = 'AddressBasePremium_COU_2026-02-03_001.csv';
    const abpError = await refused([file(abpName, abpFile(abp, 'C', { processDate: '2026-02-03' }))]);
    expect(abpError.summary?.rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, `record 21 field PARENT_UPRN: ${UPRN_RULE}`],
      [3, `record 30 field SUCCESSOR: ${UPRN_RULE}`],
      [4, 'record 24 field USRN: not a USRN (a whole number from 1 to 99999999, at most 8 digits)'],
      [5, 'record 28 field UDPRN: not a UDPRN (a whole number from 1 to 99999999, at most 8 digits)'],
      [6, 'record 24 field PAO_START_NUMBER: not a whole number from 0 to 2147483647'],
    ]);

    const dtf = [
      fields(DTF[21], 21, { UPRN: '-100001', LOGICAL_STATUS: 1, BLPU_CLASS: 'RD04', START_DATE: '2020-01-01' }, 'U'),
      fields(DTF[24], 24, { UPRN: 100001, LPI_KEY: '100001L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, PAO_START_NUMBER: 2, USRN: 0 }, 'U'),
      fields(DTF[23], 23, { UPRN: '1e5', XREF_KEY: '100001X1', CROSS_REFERENCE: 'CTR0100001', SOURCE: '7666VC' }, 'U'),
    ];
    const dtfName = 'llpg_COU_2026-02-04.csv';
    const dtfError = await refused([file(dtfName, dtfFile(dtf, 'C', { processDate: '2026-02-04' }))]);
    expect(dtfError.summary?.formats).toEqual(['dtf']);
    expect(dtfError.summary?.rejects).toEqual([
      { file: dtfName, line: 2, reason: `record 21 field UPRN: ${UPRN_RULE}` },
      { file: dtfName, line: 3, reason: 'record 24 field USRN: not a USRN (a whole number from 1 to 99999999, at most 8 digits)' },
      { file: dtfName, line: 4, reason: `record 23 field UPRN: ${UPRN_RULE}` },
    ]);
    expect(await index()).toEqual(before);
  });
});
