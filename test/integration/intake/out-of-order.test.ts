/**
 * Extracts taken in out of order: a version older than the current one (by
 * the source's own update time), or one without an update time when the
 * current one has one, stays history and never displaces the current
 * version, and the intake says how many there were.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../src/intake/ingest-file.js';
import { intakeById } from '../../../src/intake/queries.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const HEADER = 'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED';
const extract = (addr: string, updated: string) => `${HEADER}\r\nCT000901,MR ALAN TESTER,,01/01/1970,,AB123456C,,CTR0009001,${addr},NORTHBY,,,ZZ1 1AB,,,,,LIVE,${updated}\r\n`;

describe('out-of-order extracts', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-order-'));
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ingest = async (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return ingestFile(db.pool, 'revenues', file, { today: '2026-07-01' });
  };
  const currentAddress = async () => (await db.pool.query<{ line: string }>(
    `SELECT record->'addresses'->0->'lines'->>0 AS line FROM source_record WHERE system = 'revenues' AND source_ref = 'CT000901-1' AND current`)).rows[0]?.line;

  it('keeps the newer version current when an older or undated one comes after it, and counts those as stale', async () => {
    await ingest('june.csv', extract('3 NEW ROW', '03/06/2026 10:00:00'));
    const older = await ingest('may.csv', extract('2 OLD ROW', '02/05/2026 10:00:00'));
    expect(older.counts).toMatchObject({ read: 1, accepted: 1, superseded: 0, stale: 1 });
    expect(await intakeById(db.pool, older.intakeId)).toMatchObject({ status: 'done', accepted: 1, stale: 1 });
    expect(await currentAddress()).toBe('3 NEW ROW');

    // An update time blank or unreadable (a warning) cannot show the version newer: it is kept, as history.
    for (const updated of ['', '31/13/2026 10:00:00']) {
      const undated = await ingest('undated.csv', extract(`1 ROW ${updated.length}`, updated));
      expect(undated.counts).toMatchObject({ accepted: 1, superseded: 0, stale: 1 });
      expect(await currentAddress()).toBe('3 NEW ROW');
    }

    const newer = await ingest('july.csv', extract('4 NEWEST ROW', '01/07/2026 10:00:00'));
    expect(newer.counts).toMatchObject({ accepted: 1, superseded: 1, stale: 0 });
    expect(await currentAddress()).toBe('4 NEWEST ROW');
  });
});
