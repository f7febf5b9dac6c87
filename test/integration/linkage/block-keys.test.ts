import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNicknameTable, type PersonRecord, prepare, type PrepareTables } from '../../../matching/person/index.js';
import { currentLink } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { keysFingerprint, storedFingerprint } from '../../../src/linkage/block-keys.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { linkOne } from '../../../src/linkage/link.js';
import { DbLinkStore } from '../../../src/linkage/link-store.js';
import { blockKeys, blockLimit } from '../../../src/linkage/person-index.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { population, sourceRecord, store } from './people.js';

/** Every indexed record's stored keys, and the keys its features give under `ctx` now. */
async function keysNowAndExpected(db: TestDatabase, ctx: LinkageContext) {
  const { rows } = await db.pool.query<{ system: string; source_ref: string; features: PersonRecord; stored: string[] | null }>(
    `SELECT p.system, p.source_ref, p.features,
            (SELECT array_agg(b.key ORDER BY b.key) FROM person_block b WHERE b.system = p.system AND b.source_ref = p.source_ref) AS stored
       FROM person_record p`);
  return rows.map((r) => ({ record: `${r.system}|${r.source_ref}`, stored: r.stored ?? [], expected: blockKeys(ctx, prepare(r.features, ctx.tables)).sort() }));
}

describe('stored blocking keys follow the rules and the nickname table', () => {
  let db: TestDatabase;
  let tables: PrepareTables;
  let ctx: LinkageContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(17, 80));
    tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 3 });
    ctx = await openLinkage(db.pool, { tables });
    await linkAll(ctx);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('records the fingerprint the keys were made with', async () => {
    expect(await storedFingerprint(db.pool)).toBe(keysFingerprint(ctx.rules, tables));
    for (const r of await keysNowAndExpected(db, ctx)) expect(r.stored, r.record).toEqual(r.expected);
  });

  it('makes every key again when they were made otherwise, so that a new record still finds its account', async () => {
    // Keys as an earlier version of the rules made them: none meets a key made now.
    await db.pool.query("UPDATE person_block SET key = 'old:' || key");
    await db.pool.query("UPDATE person_block_keying SET fingerprint = 'earlier rules'");
    const reopened = await openLinkage(db.pool, { tables });
    const keys = await keysNowAndExpected(db, reopened);
    expect(keys.length).toBeGreaterThan(150);
    for (const r of keys) expect(r.stored, r.record).toEqual(r.expected);
    expect(await storedFingerprint(db.pool)).toBe(keysFingerprint(reopened.rules, tables));

    const { rows: [known] } = await db.pool.query<{ source_ref: string; citizen_id: string; features: PersonRecord }>(
      `SELECT l.source_ref, l.citizen_id, p.features FROM citizen_link l JOIN person_record p USING (system, source_ref)
        WHERE l.ended_at IS NULL AND p.features->>'dob' IS NOT NULL AND l.system = 'housing' ORDER BY l.source_ref LIMIT 1`);
    const f = known!.features;
    await store(db.pool, [sourceRecord({
      system: 'smartcard', ref: 'NEW-1', forenames: f.forenames, surname: f.surname, dob: f.dob, lines: ['1 ELSEWHERE ROAD', 'SOUTHBY'], postcode: 'ZZ1 9XX',
    })]);
    await linkOne(reopened, 'smartcard', 'NEW-1');
    expect((await currentLink(db.pool, 'smartcard', 'NEW-1'))?.citizenId).toBe(Number(known!.citizen_id));
  });

  it("makes them again under another nickname table, whose roots' initials the keys hold", async () => {
    const kit = buildNicknameTable([{ name: 'CHRISTOPHER', nickname: 'KIT' }, { name: 'WILLIAM', nickname: 'BILL' }]);
    const other: PrepareTables = { nicknames: kit };
    expect(keysFingerprint(ctx.rules, other)).not.toBe(keysFingerprint(ctx.rules, tables));
    const reopened = await openLinkage(db.pool, { tables: other });
    expect(await storedFingerprint(db.pool)).toBe(keysFingerprint(reopened.rules, other));
    for (const r of await keysNowAndExpected(db, reopened)) expect(r.stored, r.record).toEqual(r.expected);
    // Opening again with the same table leaves the keys alone.
    await db.pool.query("UPDATE person_block SET key = 'untouched:' || key WHERE key LIKE '1:%'");
    await openLinkage(db.pool, { tables: other });
    expect(Number((await db.pool.query("SELECT count(*) AS n FROM person_block WHERE key LIKE 'untouched:%'")).rows[0].n)).toBeGreaterThan(0);
  });

  it("reads no candidates through a block over its rule's limit", async () => {
    const named = ['HL-1', 'HL-2', 'HL-3'].map((ref, i) => sourceRecord({
      system: 'smartcard', ref, forenames: ['QUILLON'], surname: 'HATHERWICK', dob: `19${50 + i * 10}-0${i + 1}-1${i}`, lines: [`${i + 1} WEIR ROAD`, 'NORTHBY'], postcode: `ZZ${i + 1} 1QQ`,
    }));
    await store(db.pool, named);
    for (const r of named) await linkOne(ctx, 'smartcard', r.sourceRef);
    const client = await db.pool.connect();
    try {
      const me = prepare({ id: 'probe', forenames: ['QUILLON'], surname: 'HATHERWICK', dob: null }, ctx.tables);
      const keys = blockKeys(ctx, me);
      expect(keys.map((k) => blockLimit(ctx, k))).toContain(50);
      const reached = async (limit: number) => {
        const rules = ctx.rules.map((r) => (r.name === 'forename + surname' ? { ...r, maxBlockSize: limit } : r));
        return new Set((await new DbLinkStore(client, { ...ctx, rules }).members(keys, 'smartcard', 'probe', [])).map((m) => m.sourceRef));
      };
      expect(await reached(3)).toEqual(new Set(['HL-1', 'HL-2', 'HL-3']));
      expect(await reached(2)).toEqual(new Set());
    } finally {
      client.release();
    }
  });
});
