/**
 * Records whose source gives no update time are ordered by their intake's
 * source time: when the file was made (`extractedAt`, the intake's start when
 * not given), or when a push or a withdrawal was received. Content the record
 * had before, from a newer intake, is a change back (A, B, then A again: A is
 * current); a record from an intake older than its current version's is kept
 * as history only, whatever its content, and does not open a record closed
 * since; content held already, from an intake not newer, is unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../src/intake/ingest-file.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const HEADER = 'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED';
/** One account of one liable party (source ref `${ref}-1`), at `addr`, without an update time (LAST_UPDATED blank). */
const fields = (ref: string, addr: string): Record<string, string> => ({
  ACCOUNT_REF: ref, LIABLE_PARTY_1: 'MR ALAN TESTER', LIABLE_PARTY_2: '', DOB_1: '01/01/1970', DOB_2: '', NINO_1: '', NINO_2: '',
  PROPERTY_REF: 'CTR0009001', ADDR_1: addr, ADDR_2: 'NORTHBY', ADDR_3: '', ADDR_4: '', POSTCODE: 'ZZ1 1AB', PHONE: '', EMAIL: '',
  DISCOUNT_CODES: '', DISCOUNT_VERIFIED_DATE: '', ACCOUNT_STATUS: 'LIVE', LAST_UPDATED: '',
});
const row = (ref: string, addr: string): string => Object.values(fields(ref, addr)).join(',');

const A = '2 MILL LANE';
const B = '7 HIGH STREET';
const C = '9 HIGH STREET';
const D = '11 HIGH STREET';
/** An ISO time `hours` before now. */
const ago = (hours: number): string => new Date(Date.now() - hours * 3_600_000).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Version { version: number; current: boolean; closed: boolean; line: string; raw_format: string }

/** Files and pushes on one database; `ingest` takes `rows` in as a revenues file made at `extractedAt` (when given). */
function harness(pool: () => TestDatabase['pool']) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-source-time-'));
  let files = 0;
  const ingest = (rows: string[], extractedAt?: string, full?: number) => {
    const file = path.join(dir, `revenues-${++files}.csv`);
    writeFileSync(file, `${[HEADER, ...rows].join('\r\n')}\r\n`);
    return ingestFile(pool(), 'revenues', file, {
      today: '2026-07-01', ...(extractedAt !== undefined ? { extractedAt } : {}), ...(full !== undefined ? { full: { maxShare: full } } : {}),
    });
  };
  const versions = async (ref: string) => (await pool().query<Version>(
    `SELECT version, current, closed, record->'addresses'->0->'lines'->>0 AS line, raw_format
       FROM source_record WHERE system = 'revenues' AND source_ref = $1 ORDER BY version`, [`${ref}-1`])).rows;
  const current = async (ref: string) => (await versions(ref)).find((v) => v.current)!;
  return { dir, ingest, versions, current };
}

describe('versions without an update time, ordered by their intake\'s source time', () => {
  let hub: TestHub;
  let source: string;
  const { dir, ingest, versions, current } = harness(() => hub.db.pool);
  beforeAll(async () => {
    hub = await createTestHub();
    source = await hub.keyFor('source-system', 'Revenues System', ['revenues']);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const push = async (ref: string, addr: string) => {
    const response = await hub.app.inject({
      method: 'POST', url: '/v1/sources/revenues/records', headers: { authorization: `Bearer ${source}`, 'content-type': 'application/json' },
      payload: JSON.stringify(fields(ref, addr)),
    });
    expect(response.statusCode, response.body).toBe(202);
    return response.json() as { intakeId: number; accepted: number; stale: number; unchanged: number };
  };

  /** The source time of the intake of version `version` of `ref`. */
  const madeAt = async (ref: string, version: number) => (await hub.db.pool.query<{ made: Date }>(
    `SELECT i.extracted_at AS made FROM source_record s JOIN intake i ON i.id = s.intake_id WHERE s.system = 'revenues' AND s.source_ref = $1 AND s.version = $2`,
    [`${ref}-1`, version])).rows[0]!.made.toISOString();

  it('takes A, then B, then A again from three files taken in order: A is current at the end', async () => {
    await ingest([row('CT000101', A)]);
    await ingest([row('CT000101', B)]);
    const back = await ingest([row('CT000101', A)]);
    expect(back.counts).toMatchObject({ read: 1, accepted: 1, superseded: 1, stale: 0, unchanged: 0 });
    expect((await versions('CT000101')).map((v) => [v.version, v.current, v.line])).toEqual([[1, false, A], [2, false, B], [3, true, A]]);
    // The same file again changes nothing.
    expect((await ingest([row('CT000101', A)])).counts).toMatchObject({ accepted: 0, unchanged: 1 });
    // A, B and A in one file: its last row is the record's latest state.
    const made = new Date().toISOString();
    const oneFile = [row('CT000102', A), row('CT000102', B), row('CT000102', A)];
    expect((await ingest(oneFile, made)).counts).toMatchObject({ accepted: 3, superseded: 2, unchanged: 0 });
    expect(await current('CT000102')).toMatchObject({ version: 3, line: A });
    // That file again, given the time it was made: nothing changes.
    expect((await ingest(oneFile, made)).counts).toMatchObject({ accepted: 0, unchanged: 3 });
    expect(await current('CT000102')).toMatchObject({ version: 3, line: A });
  });

  it('keeps B when the file holding it was made after the third: that A is held already and older, so unchanged; an A made later is a change back', async () => {
    await ingest([row('CT000201', A)], ago(72));
    await ingest([row('CT000201', B)], ago(24));
    const third = await ingest([row('CT000201', A)], ago(48));
    expect(third.counts).toMatchObject({ read: 1, accepted: 0, stale: 0, unchanged: 1 });
    expect(await current('CT000201')).toMatchObject({ version: 2, line: B });
    expect(await versions('CT000201')).toHaveLength(2);

    const fourth = await ingest([row('CT000201', A)], ago(1));
    expect(fourth.counts).toMatchObject({ accepted: 1, superseded: 1, stale: 0, unchanged: 0 });
    expect(await current('CT000201')).toMatchObject({ version: 3, line: A });
  });

  it('keeps a record from a file made before the current version\'s as history only, and still takes in its new records', async () => {
    await ingest([row('CT000301', B)], ago(24));
    const older = await ingest([row('CT000301', C), row('CT000302', C)], ago(48));
    expect(older.counts).toMatchObject({ read: 2, accepted: 2, superseded: 0, stale: 1, unchanged: 0 });
    expect((await versions('CT000301')).map((v) => [v.version, v.current, v.line])).toEqual([[1, true, B], [2, false, C]]);
    expect(await current('CT000302')).toMatchObject({ version: 1, line: C });
    // The same older file again: its content is held already.
    expect((await ingest([row('CT000301', C), row('CT000302', C)], ago(48))).counts).toMatchObject({ accepted: 0, unchanged: 2 });
    // Made at the same time as B's: not older, so taken in order (new content current; C, held already, unchanged).
    const sameTime = await ingest([row('CT000301', C), row('CT000301', D)], await madeAt('CT000301', 1));
    expect(sameTime.counts).toMatchObject({ accepted: 1, superseded: 1, stale: 0, unchanged: 1 });
    expect(await current('CT000301')).toMatchObject({ version: 3, line: D });
  });

  it('treats a re-sent file as unchanged when given its time; without it, a re-sent older file counts as new', async () => {
    await ingest([row('CT000401', A)], ago(48));
    await ingest([row('CT000401', B)], ago(24));
    expect((await ingest([row('CT000401', B)], ago(24))).counts).toMatchObject({ accepted: 0, unchanged: 1 });
    expect((await ingest([row('CT000401', B)])).counts).toMatchObject({ accepted: 0, unchanged: 1 });
    expect((await ingest([row('CT000401', A)], ago(48))).counts).toMatchObject({ accepted: 0, unchanged: 1 });
    expect(await current('CT000401')).toMatchObject({ version: 2, line: B });
    // Without --extracted-at the file is taken as made now: its A is a change back.
    expect((await ingest([row('CT000401', A)])).counts).toMatchObject({ accepted: 1, superseded: 1 });
    expect(await current('CT000401')).toMatchObject({ version: 3, line: A });
  });

  it('lets a push win over files made before it, even with content held before', async () => {
    await ingest([row('CT000501', A)], ago(48));
    await ingest([row('CT000501', B)], ago(24));
    expect(await push('CT000501', A)).toMatchObject({ accepted: 1, stale: 0, unchanged: 0 });
    expect((await versions('CT000501')).map((v) => [v.version, v.current, v.line])).toEqual([[1, false, A], [2, false, B], [3, true, A]]);
    expect(await push('CT000501', C)).toMatchObject({ accepted: 1, stale: 0 });
    expect(await current('CT000501')).toMatchObject({ version: 4, line: C });
  });

  it('keeps a record from a file made before a push, taken in after it, as history only', async () => {
    await ingest([row('CT000601', A)], ago(48));
    const made = new Date().toISOString();
    await sleep(20);
    expect(await push('CT000601', B)).toMatchObject({ accepted: 1 });
    const late = await ingest([row('CT000601', C)], made);
    expect(late.counts).toMatchObject({ accepted: 1, superseded: 0, stale: 1 });
    expect(await current('CT000601')).toMatchObject({ version: 2, line: B });
    // Its A, held already: unchanged.
    expect((await ingest([row('CT000601', A)], made)).counts).toMatchObject({ accepted: 0, unchanged: 1 });
    expect(await current('CT000601')).toMatchObject({ version: 2, line: B });
  });

  it('leaves a withdrawn record closed when a file made before the withdrawal holds it; a later push opens it', async () => {
    await ingest([row('CT000701', A)], ago(48));
    const made = new Date().toISOString();
    await sleep(20);
    const withdrawn = await hub.app.inject({ method: 'DELETE', url: '/v1/sources/revenues/records/CT000701', headers: { authorization: `Bearer ${source}` } });
    expect(withdrawn.json()).toMatchObject({ closed: ['CT000701-1'] });
    const late = await ingest([row('CT000701', A)], made);
    expect(late.counts).toMatchObject({ accepted: 1, superseded: 0, stale: 1 });
    expect(await current('CT000701')).toMatchObject({ version: 2, closed: true, raw_format: 'withdrawn-by-source' });
    expect(await push('CT000701', A)).toMatchObject({ accepted: 1, stale: 0 });
    expect(await current('CT000701')).toMatchObject({ version: 4, closed: false, line: A });
  });
});

describe('a record closed by a full extract, and a file made before it', () => {
  let db: TestDatabase;
  const { dir, ingest, versions, current } = harness(() => db.pool);
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays closed when a file made before the full extract holds it, and opens when one made after does', async () => {
    await ingest([row('CT000801', A), row('CT000802', A)], ago(48));
    const made = new Date().toISOString();
    await sleep(20);
    // A full extract made at `made` without 801: it is closed.
    const full = await ingest([row('CT000802', A)], made, 0.5);
    expect(full.closing).toEqual({ closed: 1, refused: null });
    expect(await current('CT000801')).toMatchObject({ version: 2, closed: true, raw_format: 'absent-from-full-extract' });

    // Made a day before the full extract: its 801, with the content it had or other content, is history only.
    for (const addr of [A, B]) {
      const older = await ingest([row('CT000801', addr)], ago(24));
      expect(older.counts).toMatchObject({ accepted: 1, superseded: 0, stale: 1 });
      expect(await current('CT000801')).toMatchObject({ version: 2, closed: true });
    }
    // Made after it: open again, with the content it had.
    const after = await ingest([row('CT000801', A)]);
    expect(after.counts).toMatchObject({ accepted: 1, superseded: 1, stale: 0 });
    expect(await current('CT000801')).toMatchObject({ version: 5, closed: false, line: A });
    expect((await versions('CT000801')).map((v) => [v.version, v.current, v.closed, v.line])).toEqual([
      [1, false, false, A], [2, false, true, A], [3, false, false, A], [4, false, false, B], [5, true, false, A],
    ]);
  });
});
