/**
 * A FULL supply that gives one key twice (a BLPU line repeated) is refused
 * whole. It used to say only `could not create unique index "blpu_pkey"`,
 * naming no file, line or key: in a 40-million-line file the operator could
 * not find it. The refusal names the record type, the key and the file and
 * lines of each record that repeats it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerImportError, importGazetteer } from '../../../src/gazetteer/import.js';
import type { TestDatabase } from '../../support/db.js';
import { abpFile, abpPropertyRows, abpStreetRows, PROPERTIES } from '../../support/tiny-council.js';
import { scratchFiles, tinyGazetteerDatabase } from '../../support/gazetteer-files.js';

const scratch = scratchFiles('hub-gaz-dup-');
const file = scratch.file;

describe('a FULL supply that gives a key more than once', () => {
  let db: TestDatabase;
  const index = async () => (await db.pool.query(`SELECT lpi_key, uprn, street FROM gazetteer.address_index ORDER BY lpi_key`)).rows;
  const body = () => [...abpStreetRows(), ...PROPERTIES.flatMap((p) => abpPropertyRows(p))];
  const refused = async (name: string, rows: string[][], date: string) => {
    const error = await importGazetteer(db.url, [file(name, abpFile(rows, 'F', { processDate: date }))]).catch((e: unknown) => e);
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

  it('is refused naming the record type, the UPRN, and the file and lines of both BLPU lines', async () => {
    const before = await index();
    const rows = body();
    const at = rows.findIndex((r) => r[0] === '21' && r[3] === '100002');
    rows.push(rows[at]!);
    const name = 'AddressBasePremium_FULL_2026-02-01_001.csv';
    const error = await refused(name, rows, '2026-02-01');
    const first = at + 2;
    const second = rows.length + 1;
    expect(error.message).toBe(`the supply breaks a key of the gazetteer: 1 key of record 21 (blpu) given more than once, UPRN 100002 at ${name} lines ${first}, ${second}: nothing was changed`);
    const reason = 'record 21 UPRN 100002: duplicate-key (given 2 times in the supply; a FULL supply holds one record per key)';
    expect(error.summary?.rejects).toEqual([first, second].map((line) => ({ file: name, line, reason, recordType: 21, key: 'UPRN 100002', rule: 'duplicate-key' })));
    expect(await index()).toEqual(before);
    expect((await db.pool.query(`SELECT status, error, jsonb_array_length(rejects) AS n FROM gazetteer_import ORDER BY id DESC LIMIT 1`)).rows[0])
      .toEqual({ status: 'failed', error: error.message, n: 2 });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'gazetteer_next'`)).rows[0]).toEqual({ n: 0 });
  });

  it('names a key of two columns, and every line that gives it', async () => {
    const rows = body();
    const descriptor = rows.findIndex((r) => r[0] === '15' && r[3] === '7002');
    const name = 'AddressBasePremium_FULL_2026-02-02_001.csv';
    const error = await refused(name, [...rows, rows[descriptor]!, rows[descriptor]!], '2026-02-02');
    expect(error.message).toContain(`1 key of record 15 (street_descriptor) given more than once, USRN 7002 LANGUAGE ENG at ${name} lines ${descriptor + 2}, ${rows.length + 2}, ${rows.length + 3}`);
    expect(error.summary?.rejects.map((r) => [r.line, r.key])).toEqual([descriptor + 2, rows.length + 2, rows.length + 3].map((line) => [line, 'USRN 7002 LANGUAGE ENG']));
  });
});
