/**
 * Storing an intake's batches over two sessions side by side (as a file
 * intake does) stores exactly what one session does: each source ref's
 * versions, supersedes, stale and unchanged outcomes, the intake's counts, and
 * one pipeline hand-over for every new current version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultMapping, mapRecord, type Mapping, type MappedItem } from '../../../adapters/mapping/index.js';
import { createIntake, ingestItems, type IntakeSource } from '../../../src/intake/ingest.js';
import { intakeById } from '../../../src/intake/queries.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const account = (ref: string, over: Record<string, string> = {}): Record<string, string> => ({
  ACCOUNT_REF: ref, LIABLE_PARTY_1: 'MR ALAN QUENTIN TESTER', LIABLE_PARTY_2: '', DOB_1: '03/04/1961', DOB_2: '',
  NINO_1: 'AB123456C', NINO_2: '', PROPERTY_REF: 'CTR0001001', ADDR_1: '12 MILL LANE', ADDR_2: 'NORTHBY', ADDR_3: '', ADDR_4: '',
  POSTCODE: 'ZZ1 1AB', PHONE: '07700 900123', EMAIL: 'alan.tester@example.org', DISCOUNT_CODES: 'SPD;DIS',
  DISCOUNT_VERIFIED_DATE: '01/02/2020', ACCOUNT_STATUS: 'LIVE', LAST_UPDATED: '01/06/2026 10:00:00', ...over,
});

describe('intake over several sessions', () => {
  let db: TestDatabase;
  let mapping: Mapping;
  beforeAll(async () => {
    db = await createTestDatabase();
    mapping = await loadDefaultMapping('revenues');
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Rounds over 12 refs: first versions, the same again, newer changes, older (stale) changes, the first content again, a broken one. */
  const items = (): MappedItem[] => {
    const out: MappedItem[] = [];
    const refs = Array.from({ length: 12 }, (_, i) => `CT${String(i + 1).padStart(6, '0')}`);
    const rounds: Record<string, string>[] = [
      {},
      {},
      { ADDR_1: '14 MILL LANE', LAST_UPDATED: '02/06/2026 10:00:00' },
      { ADDR_1: '9 OLD ROAD', LAST_UPDATED: '01/05/2026 10:00:00' },
      { ADDR_1: '16 MILL LANE', LAST_UPDATED: '03/06/2026 10:00:00' },
      {},
    ];
    for (const over of rounds) {
      for (const ref of refs) {
        const index = out.length;
        const raw = `${ref},${index}`;
        for (const mapped of mapRecord(mapping, { position: { index }, fields: account(ref, over), raw })) out.push({ ...mapped, position: { index }, raw });
        if (index % 7 === 3) out.push({ position: { index }, raw: 'broken', reject: { field: 'ACCOUNT_REF', rule: 'csv', message: 'unreadable row' } });
      }
    }
    return out;
  };

  const run = async (system: string, lanes: number) => {
    const source: IntakeSource = { system, channel: 'push', requestId: `lanes-${lanes}`, rawFormat: 'csv' };
    const intakeId = await createIntake(db.pool, source);
    const handed: number[] = [];
    async function* each() {
      yield* items();
    }
    const counts = await ingestItems(db.pool, intakeId, source, each(), { batchSize: 5, lanes, onAccepted: async (ids) => void handed.push(...ids) });
    const stored = (await db.pool.query<{ id: number; source_ref: string; version: number; current: boolean; hash: string }>(
      `SELECT id, source_ref, version, current, encode(content_hash, 'hex') AS hash FROM source_record WHERE system = $1 ORDER BY source_ref, version`, [system])).rows;
    const rejects = (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM source_reject WHERE intake_id = $1`, [intakeId])).rows[0]!.n;
    return { intakeId, counts, handed, stored, rejects };
  };

  it('stores the same versions, outcomes and counts as one session, and hands each new current version on once', async () => {
    const one = await run('lanes-one', 1);
    const two = await run('lanes-two', 2);
    expect(one.counts.superseded).toBeGreaterThan(0);
    expect(one.counts.unchanged).toBeGreaterThan(0);
    expect(one.counts.rejected).toBeGreaterThan(0);
    expect(one.counts.accepted).toBeGreaterThan(one.counts.superseded);
    // Stale versions (older than the current one) are stored, counted as accepted, not current and not handed on.
    const stale = (r: typeof one) => r.stored.filter((s) => !s.current).length - r.counts.superseded;
    expect(stale(one)).toBeGreaterThan(0);
    expect(stale(two)).toBe(stale(one));
    expect(two.counts).toEqual(one.counts);
    expect(two.rejects).toBe(one.rejects);
    const shape = (rows: typeof one.stored) => rows.map(({ source_ref, version, current, hash }) => ({ source_ref, version, current, hash }));
    expect(shape(two.stored)).toEqual(shape(one.stored));
    for (const r of [one, two]) {
      expect(await intakeById(db.pool, r.intakeId)).toMatchObject({ status: 'done', ...r.counts });
      expect(r.counts.read).toBe(r.counts.accepted + r.counts.unchanged + r.counts.rejected);
      expect(new Set(r.handed).size).toBe(r.handed.length);
      expect(r.stored.length).toBe(r.counts.accepted);
      expect(r.handed.length).toBe(r.counts.accepted - stale(r));
      const current = new Set(r.stored.filter((s) => s.current).map((s) => s.id));
      // Every current version was handed on; the others handed on were current until a later one superseded them.
      for (const id of current) expect(r.handed).toContain(id);
    }
  });
});
