import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { matchSourceRecords } from '../../../src/addresses/records.js';
import { disclosures, verifyAudit, type StoredAuditEntry } from '../../../src/audit/store.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createCitizen, linkRecord, MODEL } from '../../../src/linkage/accounts.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { sourceRecord, store, type PersonSpec } from '../linkage/people.js';

type Item = { id: number; text: string; postcode: string | null; occurrences: number };

/** The order entries are written in: citizens by reference, then the records linked to no one. */
const citizensFirst = (a: unknown[], b: unknown[]): number => {
  const [x, y] = [a[0] as string | null, b[0] as string | null];
  return x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
};

/**
 * A steward reads addresses where people live in the address review queue and
 * decides which property their records are matched to: the audit trail
 * records who saw or changed what about whom, as for the person queue.
 */
describe('the address review queue is audited', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-review-audit-'));
  let hub: TestHub;
  let steward: string;
  let stewardId: number;
  let adviser: string;
  let dpo: string;
  /** Citizen references by name: ann (two records), bob (one), cat (one, on the item with a postcode). */
  const refs: Record<string, string> = {};
  const call = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
    hub.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const entries = (action: string): Promise<StoredAuditEntry[]> => disclosures(hub.db.pool, { action });
  const count = async () => (await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n;
  const queue = async () => (await call('GET', '/v1/review/addresses', steward)).json().items as Item[];
  const lane = (system: string, ref: string, postcode: string | null = null): PersonSpec =>
    ({ system, ref, forenames: ['TEST'], surname: `PERSON${ref}`, lines: ['MILL LANE', 'NORTHBY'], postcode });

  /** Fails every audit insert of `action` while `fn` runs. */
  async function refusingAudit(action: string, fn: () => Promise<void>): Promise<void> {
    await hub.db.pool.query(`CREATE FUNCTION refuse_review_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = '${action}' THEN RAISE EXCEPTION 'audit insert refused'; END IF; RETURN NEW; END $$`);
    await hub.db.pool.query('CREATE TRIGGER refuse_review_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_review_audit()');
    try {
      await fn();
    } finally {
      await hub.db.pool.query('DROP TRIGGER refuse_review_audit ON audit_log');
      await hub.db.pool.query('DROP FUNCTION refuse_review_audit()');
    }
  }

  beforeAll(async () => {
    hub = await createTestHub();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
    steward = await hub.keyFor('steward', 'Data Team');
    stewardId = (await call('GET', '/v1/me', steward)).json().clientId as number;
    adviser = await hub.keyFor('adviser');
    dpo = await hub.keyFor('dpo', 'Information Governance');

    const ids = [
      ...await store(hub.db.pool, [sourceRecord(lane('housing', 'AR1')), sourceRecord(lane('housing', 'AR3')), sourceRecord(lane('housing', 'AR5', 'ZZ1 1AB'))]),
      ...await store(hub.db.pool, [sourceRecord(lane('revenues', 'AR2'))]),
      ...await store(hub.db.pool, [sourceRecord(lane('smartcard', 'AR4'))]),
    ];
    const counts = await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), ids);
    expect(counts.review).toBe(5);
    // AR1 and AR2 are one person's records, AR3 and AR5 one each; AR4 is linked to no one yet.
    const db = await hub.db.pool.connect();
    try {
      await db.query('BEGIN');
      const account = async (name: string, system: string, sourceRef: string) => {
        const id = await createCitizen(db, MODEL, { system, sourceRef, linkedBy: 'model' });
        refs[name] = (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
        return id;
      };
      await linkRecord(db, await account('ann', 'housing', 'AR1'), 'revenues', 'AR2', 'model', null, MODEL);
      await account('bob', 'housing', 'AR3');
      await account('cat', 'housing', 'AR5');
      await db.query('COMMIT');
    } finally {
      db.release();
    }
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discloses nothing, and records nothing, when the audit write fails', async () => {
    await refusingAudit('addresses.review.read', async () => {
      const page = await call('GET', '/v1/review/addresses', steward);
      expect(page.statusCode).toBe(500);
      expect(page.body).not.toContain('MILL');
    });
    expect(await entries('addresses.review.read')).toEqual([]);
  });

  it('records each person whose address a page of the queue showed: one entry per citizen, one per record linked to no one', async () => {
    const items = await queue();
    expect(items.map((i) => [i.postcode, i.occurrences])).toEqual([[null, 4], ['ZZ1 1AB', 1]]);
    const [plain, withPostcode] = items as [Item, Item];
    const read = await entries('addresses.review.read');
    expect(read.map((e) => [e.citizenRef, e.fieldsDisclosed, e.detail])).toEqual([
      [refs.ann, ['result', 'text'], { reviewIds: [plain.id], records: [{ system: 'housing', sourceRef: 'AR1' }, { system: 'revenues', sourceRef: 'AR2' }] }],
      [refs.bob, ['result', 'text'], { reviewIds: [plain.id], records: [{ system: 'housing', sourceRef: 'AR3' }] }],
      [refs.cat, ['postcode', 'result', 'text'], { reviewIds: [withPostcode.id], records: [{ system: 'housing', sourceRef: 'AR5' }] }],
      [null, ['result', 'text'], { reviewIds: [plain.id], records: [{ system: 'smartcard', sourceRef: 'AR4' }] }],
    ].sort(citizensFirst));
    for (const e of read) {
      expect(e).toMatchObject({ clientId: stewardId, role: 'steward', purpose: 'data-stewardship', decision: 'permit', categoriesDisclosed: ['address'], categoriesDenied: [] });
    }
    // Written in the read's own transaction: all the page's entries in one.
    const txs = await hub.db.pool.query<{ n: number }>("SELECT count(DISTINCT tx)::int AS n FROM audit_log WHERE action = 'addresses.review.read'");
    expect(txs.rows[0]!.n).toBe(1);
  });

  it('changes nothing, and records nothing, when the decision\'s audit write fails', async () => {
    const [item] = await queue();
    await refusingAudit('addresses.review.decide', async () => {
      expect((await call('POST', `/v1/review/addresses/${item!.id}`, steward, { uprn: 100004 })).statusCode).toBe(500);
    });
    const matches = await hub.db.pool.query<{ status: string }>("SELECT DISTINCT m.status FROM address_match m JOIN address_review a USING (input_key) WHERE a.id = $1", [item!.id]);
    expect(matches.rows).toEqual([{ status: 'review' }]);
    expect((await hub.db.pool.query('SELECT 1 FROM address_decision')).rowCount).toBe(0);
    expect((await queue()).map((i) => i.id)).toContain(item!.id);
    expect(await entries('addresses.review.decide')).toEqual([]);
  });

  it('records a decision about every person whose records it matched again, with the property before and after', async () => {
    const [item] = await queue();
    const before = (await hub.db.pool.query<{ uprn: number | null }>(
      "SELECT DISTINCT m.uprn FROM address_match m JOIN address_review a USING (input_key) WHERE a.id = $1", [item!.id])).rows.map((r) => r.uprn);
    expect(before).toHaveLength(1);
    const decided = await call('POST', `/v1/review/addresses/${item!.id}`, steward, { uprn: 100004 });
    expect(decided.json()).toMatchObject({ uprn: 100004, updatedRecords: 4 });
    const decisions = await entries('addresses.review.decide');
    const from = before[0]!;
    expect(decisions.map((e) => [e.citizenRef, e.detail])).toEqual([
      [refs.ann, { reviewId: item!.id, uprn: 100004, records: [{ system: 'housing', sourceRef: 'AR1', from }, { system: 'revenues', sourceRef: 'AR2', from }] }],
      [refs.bob, { reviewId: item!.id, uprn: 100004, records: [{ system: 'housing', sourceRef: 'AR3', from }] }],
      [null, { reviewId: item!.id, uprn: 100004, records: [{ system: 'smartcard', sourceRef: 'AR4', from }] }],
    ].sort(citizensFirst));
    for (const e of decisions) {
      expect(e).toMatchObject({ clientId: stewardId, purpose: 'data-stewardship', decision: 'permit', categoriesDisclosed: [], fieldsDisclosed: [] });
    }
    const { tx } = (await hub.db.pool.query<{ tx: string }>(
      "SELECT DISTINCT d.tx::text FROM audit_log d WHERE d.action = 'addresses.review.decide'")).rows[0]!;
    // In the decision's transaction: the one that closed the item.
    const closed = await hub.db.pool.query<{ tx: string }>('SELECT xmin::text AS tx FROM address_review WHERE id = $1', [item!.id]);
    expect(closed.rows[0]!.tx).toBe(String(BigInt(tx) & 0xffffffffn));
  });

  it('lists the entries among the person\'s disclosures, and keeps the trail verifiable', async () => {
    const listed = (await call('GET', `/v1/audit/disclosures?citizen=${refs.ann}`, dpo)).json() as { entries: { action: string; purpose: string; detail: unknown }[] };
    expect(new Set(listed.entries.map((e) => e.action))).toEqual(new Set(['addresses.review.read', 'addresses.review.decide']));
    expect(listed.entries.every((e) => e.purpose === 'data-stewardship')).toBe(true);
    expect(listed.entries.at(-1)).toMatchObject({ action: 'addresses.review.decide', detail: { uprn: 100004 } });
    expect(await verifyAudit(hub.db.pool)).toMatchObject({ ok: true });
  });

  it("finds a record's entries made before it was linked among the person's, by the DPO's citizen filter and subject access", async () => {
    const db = await hub.db.pool.connect();
    try {
      await db.query('BEGIN');
      const id = await createCitizen(db, MODEL, { system: 'smartcard', sourceRef: 'AR4', linkedBy: 'model' });
      refs.dan = (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
      await db.query('COMMIT');
    } finally {
      db.release();
    }
    const listed = (await call('GET', `/v1/audit/disclosures?citizen=${refs.dan}`, dpo)).json() as { entries: { action: string; citizenRef: string | null }[] };
    // Each read of the queue while AR4 waited on it, and the decision: all made about no citizen.
    expect(new Set(listed.entries.map((e) => `${e.action} ${e.citizenRef}`))).toEqual(new Set(['addresses.review.read null', 'addresses.review.decide null']));
    const decisions = (await call('GET', `/v1/audit/disclosures?citizen=${refs.dan}&action=addresses.review.decide`, dpo)).json() as { entries: unknown[] };
    expect(decisions.entries).toHaveLength(1);
    // Another person's filter does not pick them up.
    const bobs = (await call('GET', `/v1/audit/disclosures?citizen=${refs.bob}`, dpo)).json() as { entries: { citizenRef: string | null }[] };
    expect(bobs.entries.every((e) => e.citizenRef === refs.bob)).toBe(true);
    const access = await call('GET', `/v1/citizens/${refs.dan}/subject-access`, dpo);
    expect(access.statusCode).toBe(200);
    const log = (access.json() as { disclosures: { action: string }[] }).disclosures.map((e) => e.action);
    expect(log).toEqual(expect.arrayContaining(['addresses.review.read', 'addresses.review.decide']));
  });

  it('writes nothing for a refused role or a decision that fails', async () => {
    const before = await count();
    // As for the person queue, the queue is about no one citizen: a refusal names no one to record it under.
    expect((await call('GET', '/v1/review/addresses', adviser)).statusCode).toBe(403);
    expect((await call('POST', '/v1/review/addresses/999999', steward, { uprn: 100004 })).statusCode).toBe(404);
    expect((await call('POST', '/v1/review/addresses/999999', steward, { uprn: 424242 })).statusCode).toBe(400);
    expect(await count()).toBe(before);
  });
});
