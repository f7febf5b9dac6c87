/**
 * Full extracts: a file taken in with `full` holds every open record of its
 * system, so the records it lacks are closed (a closing version, history
 * kept), and open again when they come back. Closing is refused, with
 * nothing closed, when the file had rejects, lacks more than the allowed
 * share of the open records, or was made before a full extract already
 * taken; records received since the file was made are not its to close.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { ingestFile, type IngestFileOptions } from '../../../src/intake/ingest-file.js';
import { intakeById } from '../../../src/intake/queries.js';
import { loadPrepareTables } from '../../../src/linkage/context.js';
import { citizensAt } from '../../../src/linkage/golden.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { run } from '../../support/process.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { population, store } from '../linkage/people.js';

const HEADER = 'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED';
const ROWS: Record<string, string> = {
  joint: 'CT000901,MR ALAN TESTER,MRS BETH TESTER,01/01/1970,02/02/1972,,,CTR0009001,2 MILL LANE,NORTHBY,,,ZZ1 1AB,,,,,LIVE,01/06/2026 10:00:00',
  single: 'CT000901,MR ALAN TESTER,,01/01/1970,,,,CTR0009001,2 MILL LANE,NORTHBY,,,ZZ1 1AB,,,,,LIVE,01/06/2026 10:00:00',
  other: 'CT000902,MS CARA EXAMPLE,,03/03/1980,,,,CTR0009002,5 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
  third: 'CT000903,MR DAN SAMPLE,,04/04/1990,,,,CTR0009003,9 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
  late: 'CT000904,MS EVE LATER,,05/05/1985,,,,CTR0009004,11 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
  fresh: 'CT000906,MR FRED NEWCOMER,,06/06/1966,,,,CTR0009006,13 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
  seventh: 'CT000907,MS GINA NEWER,,07/07/1977,,,,CTR0009007,15 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
  otherMoved: 'CT000902,MS CARA EXAMPLE,,03/03/1980,,,,CTR0009002,7 HIGH STREET,NORTHBY,,,ZZ1 2BD,,,,,LIVE,02/06/2026 10:00:00',
  broken: 'CT000905,"MS BROKEN QUOTE,,01/01/1970,,,,,5 HIGH STREET,,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
};

interface Version { source_ref: string; version: number; current: boolean; closed: boolean; raw_format: string; involvements: unknown }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A database of its own for the describe block that calls it, and `ingest`,
 * taking rows in as a revenues file.
 */
function revenuesFiles(label: string) {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), `hub-${label}-`));
  let files = 0;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const ingest = (rows: string[], options: IngestFileOptions = {}) => {
    const file = path.join(dir, `revenues-${++files}.csv`);
    writeFileSync(file, `${[HEADER, ...rows].join('\r\n')}\r\n`);
    return ingestFile(db.pool, 'revenues', file, { today: '2026-07-01', ...options });
  };
  return { pool: () => db.pool, ingest };
}

describe('full extracts', () => {
  const { pool, ingest } = revenuesFiles('full');
  const full = (maxShare: number) => ({ full: { maxShare } });
  const current = async () => (await pool().query<Version>(
    `SELECT source_ref, version, current, closed, raw_format, record->'involvements' AS involvements
       FROM source_record WHERE system = 'revenues' AND current ORDER BY source_ref`)).rows;
  const versionsOf = async (ref: string) => (await pool().query<Version>(
    `SELECT source_ref, version, current, closed, raw_format FROM source_record WHERE system = 'revenues' AND source_ref = $1 ORDER BY version`, [ref])).rows;

  it('closes the records a full extract lacks, with a closing version that keeps their history; a file not full closes nothing', async () => {
    await ingest([ROWS.joint!, ROWS.other!, ROWS.third!]);
    const notFull = await ingest([ROWS.other!]);
    expect(notFull.closing).toBeNull();
    expect((await current()).every((v) => !v.closed)).toBe(true);

    // The second liable party left the account and account 903 ended.
    const taken = await ingest([ROWS.single!, ROWS.other!], full(0.5));
    expect(taken.closing).toEqual({ closed: 2, refused: null });
    expect(taken.counts).toMatchObject({ read: 2, accepted: 0, unchanged: 2, rejected: 0 });
    expect(await intakeById(pool(), taken.intakeId)).toMatchObject({ status: 'done', fullExtract: true, closed: 2, closingRefused: null });
    expect((await current()).map((v) => [v.source_ref, v.version, v.closed, v.raw_format])).toEqual([
      ['CT000901-1', 1, false, 'csv'],
      ['CT000901-2', 2, true, 'absent-from-full-extract'],
      ['CT000902-1', 1, false, 'csv'],
      ['CT000903-1', 2, true, 'absent-from-full-extract'],
    ]);
    expect((await versionsOf('CT000903-1')).map((v) => [v.version, v.current, v.closed])).toEqual([[1, false, false], [2, true, true]]);
  });

  it('opens a closed record again when it comes back, even with the content it had', async () => {
    const again = await ingest([ROWS.joint!, ROWS.other!], full(0.5));
    // 903 is closed already: nothing more to close.
    expect(again.closing).toEqual({ closed: 0, refused: null });
    expect(again.counts).toMatchObject({ read: 3, accepted: 1, superseded: 1, unchanged: 2 });
    expect((await versionsOf('CT000901-2')).map((v) => [v.version, v.current, v.closed])).toEqual([[1, false, false], [2, false, true], [3, true, false]]);
    // Closed for being missing once more: it is closed again, though that content is in its history.
    const dropped = await ingest([ROWS.single!, ROWS.other!], full(0.5));
    expect(dropped.closing).toEqual({ closed: 1, refused: null });
    expect((await versionsOf('CT000901-2')).at(-1)).toMatchObject({ version: 4, current: true, closed: true });
  });

  it('refuses to close more than the allowed share of the open records, or anything when the file had rejects', async () => {
    await ingest([ROWS.joint!, ROWS.other!, ROWS.third!]);
    const before = await current();
    const truncated = await ingest([ROWS.other!], full(0.1));
    expect(truncated.closing?.closed).toBe(0);
    expect(truncated.closing?.refused).toMatch(/lacks 3 of the system's 4 open records \(75%\), more than the 10% one full extract may close/);
    expect(await intakeById(pool(), truncated.intakeId)).toMatchObject({ status: 'done', fullExtract: true, closed: 0, closingRefused: truncated.closing!.refused });

    const withReject = await ingest([ROWS.other!, ROWS.broken!], full(1));
    expect(withReject.counts.rejected).toBeGreaterThan(0);
    expect(withReject.closing?.refused).toMatch(/were rejected, and a record among them would be closed by mistake/);
    expect(await current()).toEqual(before);
  });

  it('closes nothing from a full extract that holds no records, whatever share it may close, and refuses an empty file', async () => {
    await ingest([ROWS.joint!, ROWS.other!, ROWS.third!]);
    const before = await current();
    expect(before.some((v) => !v.closed)).toBe(true);
    // A header and nothing else: a transfer that failed, not a system whose every record closed.
    const headerOnly = await ingest([], full(1));
    expect(headerOnly.counts).toMatchObject({ read: 0 });
    expect(headerOnly.closing).toMatchObject({ closed: 0, refused: expect.stringMatching(/^the file holds no records/) });
    expect(await intakeById(pool(), headerOnly.intakeId)).toMatchObject({ status: 'done', closed: 0, closingRefused: headerOnly.closing!.refused });
    expect(await current()).toEqual(before);

    const file = path.join(os.tmpdir(), `hub-empty-${process.pid}.csv`);
    writeFileSync(file, '');
    try {
      const intakes = (await pool().query('SELECT count(*)::int AS n FROM intake')).rows[0].n as number;
      for (const options of [{}, full(1)]) {
        await expect(ingestFile(pool(), 'revenues', file, options)).rejects.toThrow(/is empty \(0 bytes\)/);
      }
      expect((await pool().query('SELECT count(*)::int AS n FROM intake')).rows[0].n).toBe(intakes);
    } finally {
      rmSync(file, { force: true });
    }
    expect(await current()).toEqual(before);
  });

  it('leaves records that arrived another way while the extract was read', async () => {
    let pushed = false;
    const taken = await ingest([ROWS.joint!, ROWS.other!, ROWS.third!, ROWS.fresh!], {
      ...full(0.5),
      onAccepted: async () => {
        if (pushed) return;
        pushed = true;
        await ingest([ROWS.late!]);
      },
    });
    // The file's own change (a new account) made the callback take in 904 meanwhile: 904 stays open.
    expect(pushed).toBe(true);
    expect(taken.closing).toEqual({ closed: 0, refused: null });
    expect((await current()).find((v) => v.source_ref === 'CT000904-1')).toMatchObject({ closed: false });
  });

  it('leaves the records received since the file was made, given the time it was made (the intake\'s start when not)', async () => {
    const plain = await ingest([ROWS.other!]);
    const plainIntake = (await intakeById(pool(), plain.intakeId))!;
    expect(plainIntake).toMatchObject({ fullExtract: false });
    expect(plainIntake.extractedAt).toBe(plainIntake.startedAt);
    const now = await ingest([ROWS.joint!, ROWS.other!, ROWS.third!, ROWS.late!, ROWS.fresh!], full(0.5));
    const nowIntake = (await intakeById(pool(), now.intakeId))!;
    expect(nowIntake.extractedAt).toBe(nowIntake.startedAt);

    const made = new Date();
    await sleep(20);
    // A new account pushed after the file was made: the file cannot know it.
    await ingest([ROWS.seventh!]);
    const taken = await ingest([ROWS.joint!, ROWS.other!, ROWS.third!, ROWS.late!, ROWS.fresh!], { full: { maxShare: 0.5 }, extractedAt: made.toISOString() });
    expect(taken.closing).toEqual({ closed: 0, refused: null });
    expect(await intakeById(pool(), taken.intakeId)).toMatchObject({ fullExtract: true, extractedAt: made.toISOString(), closed: 0, closingRefused: null });
    // Made at the same time, lacking 906 too, received before: 906 alone is closed.
    const lacking = await ingest([ROWS.joint!, ROWS.other!, ROWS.third!, ROWS.late!], { full: { maxShare: 0.5 }, extractedAt: made.toISOString() });
    expect(lacking.closing).toEqual({ closed: 1, refused: null });
    const open = await current();
    expect(open.find((v) => v.source_ref === 'CT000906-1')).toMatchObject({ closed: true, raw_format: 'absent-from-full-extract' });
    expect(open.find((v) => v.source_ref === 'CT000907-1')).toMatchObject({ closed: false });

    await expect(ingest([ROWS.other!], { full: { maxShare: 0.5 }, extractedAt: '2099-01-01T00:00:00Z' })).rejects.toThrow(/cannot have been made at 2099-01-01T00:00:00Z: that is in the future/);
  });

  it('closes nothing from a file made before a full extract already taken, and still takes its records in', async () => {
    // Every record received long ago: only the order of the extracts keeps 907 open.
    await pool().query(`UPDATE source_record SET received_at = received_at - interval '1 day' WHERE system = 'revenues'`);
    const last = (await pool().query<{ id: number; made: Date }>(
      `SELECT id, extracted_at AS made FROM intake WHERE system = 'revenues' AND full_extract AND status = 'done' ORDER BY extracted_at DESC, id DESC LIMIT 1`)).rows[0]!;
    const before = await current();
    const older = new Date(last.made.getTime() - 3_600_000).toISOString();
    const taken = await ingest([ROWS.joint!, ROWS.otherMoved!, ROWS.third!, ROWS.late!], { full: { maxShare: 0.5 }, extractedAt: older });
    expect(taken.counts).toMatchObject({ read: 5, accepted: 1, superseded: 1, unchanged: 4, rejected: 0 });
    const at = (d: string | Date) => new Date(d).toISOString();
    expect(taken.closing).toEqual({
      closed: 0,
      refused: `the file was made at ${at(older)}, before the full extract of revenues made at ${at(last.made)} and taken in already (intake ${last.id}): `
        + 'the records it lacks may have opened since; nothing was closed',
    });
    expect(await intakeById(pool(), taken.intakeId)).toMatchObject({ status: 'done', fullExtract: true, closed: 0, closingRefused: taken.closing!.refused });
    const after = await current();
    expect(after.find((v) => v.source_ref === 'CT000907-1')).toMatchObject({ closed: false });
    expect(after.filter((v) => v.source_ref !== 'CT000902-1')).toEqual(before.filter((v) => v.source_ref !== 'CT000902-1'));

    // Made when the last was: not older, so it closes what it lacks.
    const same = await ingest([ROWS.joint!, ROWS.otherMoved!, ROWS.third!, ROWS.late!], { full: { maxShare: 0.5 }, extractedAt: last.made.toISOString() });
    expect(same.closing).toEqual({ closed: 1, refused: null });
    expect((await current()).find((v) => v.source_ref === 'CT000907-1')).toMatchObject({ closed: true });
  });
});

describe('a record with update times that a full extract closed', () => {
  const { pool, ingest } = revenuesFiles('full-dated');
  const current903 = async () => (await pool().query<{ version: number; closed: boolean }>(
    "SELECT version, closed FROM source_record WHERE system = 'revenues' AND source_ref = 'CT000903-1' AND current")).rows[0];

  it('stays closed when a file made before the extract holds it with its last update time, and opens when a later full extract does', async () => {
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    await ingest([ROWS.other!, ROWS.third!], { extractedAt: hoursAgo(48) });
    await sleep(20);
    expect((await ingest([ROWS.other!], { full: { maxShare: 0.5 } })).closing).toEqual({ closed: 1, refused: null });
    expect(await current903()).toEqual({ version: 2, closed: true });
    // Made before the extract, with the update time it had: older news than the closing.
    expect((await ingest([ROWS.third!], { extractedAt: hoursAgo(24) })).counts).toMatchObject({ stale: 1, superseded: 0 });
    expect(await current903()).toEqual({ version: 2, closed: true });
    // A full extract made since holds it again, its update time untouched: it is open.
    await sleep(20);
    expect((await ingest([ROWS.other!, ROWS.third!], { full: { maxShare: 0.5 } })).counts).toMatchObject({ superseded: 1, stale: 0 });
    expect(await current903()).toMatchObject({ closed: false });
  });
});

describe('hub ingest --full', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-full-cli-'));
  beforeAll(async () => {
    db = await createTestDatabase();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(db.url, [file]);
    // A person model, so that --wait links: trained on people other systems hold, so that the extracts own revenues.
    await store(db.pool, population(11, 150).filter((r) => r.system !== 'revenues'));
    await trainFromDatabase(db.pool, await loadPrepareTables(), { seed: 5 });
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a liable party the account no longer names, who is then no occupant of the property', async () => {
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    const write = (name: string, ...rows: string[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, `${[HEADER, ...rows].join('\r\n')}\r\n`);
      return file;
    };
    const occupants = async () => (await citizensAt(db.pool, [100001], null)).map((c) => c.name).sort();
    const first = await run('src/cli/main.ts', ['ingest', 'revenues', write('june.csv', ROWS.joint!, ROWS.other!), '--wait'], env);
    expect(first.code).toBe(0);
    expect(await occupants()).toEqual(['ALAN TESTER', 'BETH TESTER']);

    const refused = await run('src/cli/main.ts', ['ingest', 'revenues', write('july.csv', ROWS.single!, ROWS.other!), '--full', '--wait'], env);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toMatch(/full extract: records it lacks not closed: the file lacks 1 of the system's 3 open records \(33\.3%\), more than the 10%/);
    expect(await occupants()).toEqual(['ALAN TESTER', 'BETH TESTER']);

    const bad = await run('src/cli/main.ts', ['ingest', 'revenues', write('july.csv', ROWS.single!), '--full', '--close-max', '101'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--close-max.*a percentage from 0 to 100/);

    const closed = await run('src/cli/main.ts', ['ingest', 'revenues', write('july.csv', ROWS.single!, ROWS.other!), '--full', '--close-max', '50', '--wait'], env);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/full extract: 1 record\(s\) of revenues it lacks closed/);
    expect(await occupants()).toEqual(['ALAN TESTER']);

    // An extract made before the last one taken closes nothing, though it lacks 902; the time is checked.
    const older = await run('src/cli/main.ts', ['ingest', 'revenues', write('june-again.csv', ROWS.single!), '--full', '--close-max', '50', '--extracted-at', '2026-06-30T02:00:00'], env);
    expect(older.code).toBe(0);
    expect(older.stdout).toMatch(/full extract: records it lacks not closed: the file was made at 2026-06-30T02:00:00\.000Z, before the full extract of revenues made at \S+ and taken in already/);
    expect((await db.pool.query(`SELECT closed FROM source_record WHERE source_ref = 'CT000902-1' AND current`)).rows).toEqual([{ closed: false }]);
    // Any file may say when it was made: older than the current versions' intakes, its records are history only.
    const notFull = await run('src/cli/main.ts', ['ingest', 'revenues', write('june-again.csv', ROWS.single!), '--extracted-at', '2026-06-30T02:00:00Z'], env);
    expect(notFull.code, notFull.stderr).toBe(0);
    expect(notFull.stdout).toMatch(/1 read, 0 accepted .*, 1 unchanged, 0 rejected/);
    const notFullIntake = Number(/^intake (\d+):/.exec(notFull.stdout)![1]);
    expect((await db.pool.query(`SELECT full_extract, extracted_at FROM intake WHERE id = $1`, [notFullIntake])).rows)
      .toEqual([{ full_extract: false, extracted_at: new Date('2026-06-30T02:00:00Z') }]);
    const unreadable = await run('src/cli/main.ts', ['ingest', 'revenues', write('june-again.csv', ROWS.single!), '--full', '--extracted-at', '30/06/2026'], env);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toMatch(/--extracted-at.*an ISO 8601 date-time/);
  });
});

describe('a full extract closing while a push replaces a record it lacks', () => {
  const { pool, ingest } = revenuesFiles('full-race');

  it('waits for the push, then leaves the record: the version it would have closed is no longer current', async () => {
    await ingest([ROWS.joint!, ROWS.other!, ROWS.third!]);
    let extract: ReturnType<typeof ingest> | undefined;
    // The push of 902 (a move) holds 902's current version, replaced but not committed, while the full extract, which
    // lacks 902, starts closing and must wait for that row.
    const pushed = await ingest([ROWS.otherMoved!], {
      onAccepted: async () => {
        if (extract) return;
        extract = ingest([ROWS.joint!, ROWS.third!], { full: { maxShare: 0.5 } });
        extract.catch(() => undefined);
        // A session of this test's database waiting for another transaction (the push's) to end.
        const waiting = async () => Number((await pool().query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'transactionid'`)).rows[0]!.n) > 0;
        const deadline = Date.now() + 20_000;
        while (!(await waiting())) {
          if (Date.now() > deadline) throw new Error('the full extract never waited for the pushed record');
          await sleep(20);
        }
      },
    });
    expect(pushed.counts).toMatchObject({ accepted: 1 });
    const taken = await extract!;
    expect(taken.closing).toEqual({ closed: 0, refused: null });
    const versions = (await pool().query<{ version: number; current: boolean; closed: boolean; raw_format: string; line: string }>(
      `SELECT version, current, closed, raw_format, record->'addresses'->0->'lines'->>0 AS line
         FROM source_record WHERE system = 'revenues' AND source_ref = 'CT000902-1' ORDER BY version`)).rows;
    // The push's version is current and open; no closing version was made of either.
    expect(versions).toEqual([
      { version: 1, current: false, closed: false, raw_format: 'csv', line: '5 HIGH STREET' },
      { version: 2, current: true, closed: false, raw_format: 'csv', line: '7 HIGH STREET' },
    ]);
  });
});
