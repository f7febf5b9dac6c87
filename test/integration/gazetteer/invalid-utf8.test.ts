/**
 * AddressBase and DTF files are UTF-8. A byte that is not UTF-8 (a Latin-1
 * É in "CAF\xC9 ROW") used to be stored as U+FFFD without a word, and the
 * address served as "CAF� ROW". Such a line is malformed now: named by file,
 * line, record type, field and rule (never its value), and the command is
 * refused as for any other malformed line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer } from '../../../src/gazetteer/import.js';
import { ABP, fields } from '../../unit/gazetteer-readers/build.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES, tinyAbp } from '../../support/tiny-council.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-gaz-utf8-'));
/** `~` in the text stands for the one byte `byte`, written as it is (not UTF-8 encoded). */
const file = (name: string, text: string, byte?: number) => {
  const p = path.join(dir, name);
  const bytes = Buffer.from(text, 'utf8');
  if (byte !== undefined) {
    expect(bytes.filter((b) => b === 0x7e)).toHaveLength(1);
    bytes[bytes.indexOf(0x7e)] = byte;
  }
  writeFileSync(p, bytes);
  return p;
};

const RULE = 'invalid-utf8 (bytes that are not UTF-8, which AddressBase and DTF files are)';

describe('bytes that are not UTF-8 in a gazetteer supply', () => {
  let db: TestDatabase;
  const index = async () => (await db.pool.query(`SELECT lpi_key, pao_text, street, search_text FROM gazetteer.address_index ORDER BY lpi_key`)).rows;
  const refused = async (files: string[]) => {
    const error = await importGazetteer(db.url, files).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GazetteerImportError);
    return error as GazetteerImportError;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await importGazetteer(db.url, [file('AddressBasePremium_FULL_2026-01-01_001.csv', tinyAbp())]);
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a change-only file with a Latin-1 byte in an LPI, naming the line and field, and changes nothing', async () => {
    const before = await index();
    const lpi = fields(ABP[24], 24, { UPRN: 100004, LPI_KEY: '100004L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_TEXT: 'CAF~ ROW', USRN: 7001 }, 'U');
    const name = 'AddressBasePremium_COU_2026-02-01_001.csv';
    const error = await refused([file(name, abpFile([lpi], 'C', { processDate: '2026-02-01' }), 0xc9)]);
    expect(error.message).toBe(`${name}: 1 malformed line(s), the first at line 2: record 24 field PAO_TEXT: ${RULE}`);
    expect(error.summary?.rejects).toEqual([{ file: name, line: 2, reason: `record 24 field PAO_TEXT: ${RULE}` }]);
    expect(JSON.stringify(error.summary)).not.toContain('CAF');
    expect(await index()).toEqual(before);
    expect((await db.pool.query(`SELECT status FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0]).toEqual({ status: 'failed' });
  });

  it('refuses a FULL supply with a byte that is not UTF-8 in a street descriptor, leaving the previous gazetteer serving', async () => {
    const before = await index();
    const rows = [...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))];
    const line = rows.findIndex((r) => r[0] === '15' && r[4] === 'MILL LANE');
    rows[line] = rows[line]!.map((v) => (v === 'MILL LANE' ? 'PENRHYN ST~' : v));
    const name = 'AddressBasePremium_FULL_2026-03-01_001.csv';
    const error = await refused([file(name, abpFile(rows, 'F', { processDate: '2026-03-01' }), 0xce)]);
    expect(error.summary?.rejects).toEqual([{ file: name, line: line + 2, reason: `record 15 field STREET_DESCRIPTION: ${RULE}` }]);
    expect(await index()).toEqual(before);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM gazetteer.street_descriptor WHERE description LIKE 'PENRHYN%'`)).rows[0]).toEqual({ n: 0 });
  });

  it('loads UTF-8 text as written, and U+FFFD written as UTF-8 is text like any other', async () => {
    const rows = [...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))];
    const at = rows.findIndex((r) => r[0] === '15' && r[4] === 'MILL LANE');
    rows[at] = rows[at]!.map((v) => (v === 'MILL LANE' ? 'LÔN Y FELIN \uFFFD' : v));
    await importGazetteer(db.url, [file('AddressBasePremium_FULL_2026-04-01_001.csv', abpFile(rows, 'F', { processDate: '2026-04-01' }))]);
    expect((await db.pool.query(`SELECT description FROM gazetteer.street_descriptor WHERE usrn = 7001`)).rows).toEqual([{ description: 'LÔN Y FELIN \uFFFD' }]);
  });
});
