import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDecision, saveMatch } from '../../../src/addresses/sql.js';
import { currentLink } from '../../../src/linkage/accounts.js';
import { linkAll, linkSourceRecords } from '../../../src/linkage/batch.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { manualLink, manualUnlink } from '../../../src/linkage/decisions.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { population, sourceRecord, store, type PersonSpec } from '../linkage/people.js';

describe('linkage records every account change in the outbox', () => {
  let db: TestDatabase;
  let ctx: LinkageContext;
  const steward = { clientId: null, reason: 'test' };
  const newEvents = async (after: number) => (await db.pool.query<{ id: string; citizen_id: string; event_type: string; other_citizen: string | null }>(
    'SELECT id, citizen_id, event_type, other_citizen FROM citizen_outbox WHERE id > $1 ORDER BY id', [after])).rows
    .map((r) => ({ id: Number(r.id), citizen: Number(r.citizen_id), type: r.event_type, other: r.other_citizen === null ? null : Number(r.other_citizen) }));
  const lastId = async () => Number((await db.pool.query<{ n: string | null }>('SELECT max(id) AS n FROM citizen_outbox')).rows[0]!.n ?? 0);
  const citizenOf = async (system: string, ref: string) => (await currentLink(db.pool, system, ref))!.citizenId;
  const refOf = async (id: number) => (await db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;

  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(21, 80));
    const tables = await loadPrepareTables();
    await trainFromDatabase(db.pool, tables, { seed: 3 });
    ctx = await openLinkage(db.pool, { tables });
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('announces every account a run creates once, and an unchanged re-link announces nothing', async () => {
    // One batch, so one transaction: every account is new in it.
    await linkAll(ctx, { batchSize: 1000 });
    const events = await newEvents(0);
    const { rows } = await db.pool.query<{ id: string; status: string }>('SELECT id, status FROM citizen');
    const created = events.filter((e) => e.type === 'citizen.created').map((e) => e.citizen).sort((a, b) => a - b);
    expect(created).toEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b));
    // Records joining an account created in the same transaction add nothing to its creation.
    const merges = events.filter((e) => e.type === 'citizen.merged').length;
    expect(events.filter((e) => e.type === 'citizen.updated').length).toBeLessThanOrEqual(merges);

    const before = await lastId();
    await linkAll(ctx, { relink: true });
    const relinked = await newEvents(before);
    // Re-linking unchanged records moves nothing here, so it tells nobody anything.
    expect(relinked).toEqual([]);
  });

  it('announces a changed record as an update of its account, even when it stays where it was', async () => {
    const spec: PersonSpec = { system: 'housing', ref: 'OB1', forenames: ['MARGARET'], surname: 'ZBOROWSKI', dob: '1951-04-03', lines: ['9 MANOR WAY', 'NORTHBY'], postcode: 'ZZ4 4AB', phone: '+447700911111' };
    await linkSourceRecords(ctx, await store(db.pool, [sourceRecord(spec), sourceRecord({ ...spec, system: 'revenues', ref: 'OB2' })]));
    const account = await citizenOf('housing', 'OB1');
    expect(await citizenOf('revenues', 'OB2')).toBe(account);

    const before = await lastId();
    await linkSourceRecords(ctx, await store(db.pool, [sourceRecord({ ...spec, phone: '+447700922222' })]));
    expect(await citizenOf('housing', 'OB1')).toBe(account);
    expect(await newEvents(before)).toMatchObject([{ citizen: account, type: 'citizen.updated' }]);
  });

  it('announces a steward\'s split and the account it made, then the merge when the record is put back', async () => {
    const account = await citizenOf('housing', 'OB1');
    let before = await lastId();
    await manualUnlink(ctx, await refOf(account), 'revenues', 'OB2', steward);
    const own = await citizenOf('revenues', 'OB2');
    const split = await newEvents(before);
    expect(split.map((e) => [e.citizen, e.type, e.other])).toEqual(expect.arrayContaining([
      [account, 'citizen.split', own],
      [own, 'citizen.created', null],
    ]));

    before = await lastId();
    await manualLink(ctx, await refOf(account), 'revenues', 'OB2', steward);
    const back = await newEvents(before);
    // The emptied account is merged into the one the record went back to.
    expect(back.map((e) => [e.citizen, e.type, e.other])).toEqual(expect.arrayContaining([[account, 'citizen.merged', own]]));
  });

  it("announces nothing and writes no history when a steward links a record to the account it is in, and keeps the decision once", async () => {
    const account = await citizenOf('housing', 'OB1');
    const history = async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM citizen_event WHERE citizen_id = $1', [account])).rows[0]!.n);
    const links = async () => (await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM citizen_link WHERE system = 'revenues' AND source_ref = 'OB2'")).rows[0]!.n;
    const decisions = async () => (await db.pool.query<{ citizen_id: string }>(
      "SELECT citizen_id FROM link_decision WHERE revoked_at IS NULL AND kind = 'link' AND system = 'revenues' AND source_ref = 'OB2'")).rows.map((r) => Number(r.citizen_id));
    const [before, events, linked] = [await lastId(), await history(), await links()];
    const results = [];
    for (let i = 0; i < 2; i++) results.push(await manualLink(ctx, await refOf(account), 'revenues', 'OB2', steward));
    expect(await newEvents(before)).toEqual([]);
    expect(await history()).toBe(events);
    expect(await links()).toBe(linked);
    const ref = await refOf(account);
    expect(results).toEqual([{ citizenRef: ref, from: ref, unchanged: true }, { citizenRef: ref, from: ref, unchanged: true }]);
    expect(await citizenOf('revenues', 'OB2')).toBe(account);
    // The steward's word is kept, once, so that no later run moves the record.
    expect(await decisions()).toEqual([account]);
  });

  it('announces a linked record whose address is matched to another UPRN (a re-match, a steward\'s decision), and nothing when the UPRN stays', async () => {
    const account = await citizenOf('housing', 'OB1');
    const recordId = async (system: string, ref: string) => Number((await db.pool.query<{ id: string }>(
      'SELECT id FROM source_record WHERE system = $1 AND source_ref = $2 AND current', [system, ref])).rows[0]!.id);
    const match = (id: number, uprn: number | null) => db.pool.query(saveMatch, [id, 'OB1-KEY', uprn, uprn === null ? 'unmatched' : 'matched', 0.9, 'test', {}, 'matcher']);
    const ob1 = await recordId('housing', 'OB1');

    let before = await lastId();
    await match(ob1, 10001);
    await match(ob1, 10001);
    expect(await newEvents(before)).toMatchObject([{ citizen: account, type: 'citizen.updated' }]);

    before = await lastId();
    // Sent to review with the matcher's best guess, then decided by a steward, twice alike.
    await db.pool.query(saveMatch, [ob1, 'OB1-KEY', 10002, 'review', 0.6, 'address', {}, 'matcher']);
    await db.pool.query(applyDecision, ['OB1-KEY', 10003, {}]);
    await db.pool.query(applyDecision, ['OB1-KEY', 10003, {}]);
    expect((await newEvents(before)).map((e) => [e.citizen, e.type])).toEqual([[account, 'citizen.updated'], [account, 'citizen.updated']]);

    // A new version, matched before it is linked, is announced once: by linking it, not by its match too.
    before = await lastId();
    const [changed] = await store(db.pool, [sourceRecord({ system: 'housing', ref: 'OB1', forenames: ['MARGARET'], surname: 'ZBOROWSKI', dob: '1951-04-03', lines: ['9 MANOR WAY', 'NORTHBY'], postcode: 'ZZ4 4AB', phone: '+447700933333' })]);
    await match(Number(changed), 10005);
    expect(await newEvents(before)).toEqual([]);
    await linkSourceRecords(ctx, [Number(changed)]);
    expect((await newEvents(before)).map((e) => [e.citizen, e.type])).toEqual([[account, 'citizen.updated']]);

    // A record linked to nobody yet (stored, not linked) tells nobody: linking it will.
    before = await lastId();
    const [unlinked] = await store(db.pool, [sourceRecord({ system: 'housing', ref: 'OB9', forenames: ['PETRA'], surname: 'QUILTER', dob: '1980-02-02', lines: ['1 LOW ROAD', 'NORTHBY'], postcode: 'ZZ4 4AC' })]);
    await match(Number(unlinked), 10004);
    expect(await newEvents(before)).toEqual([]);
  });
});
