/**
 * A steward's address decision applies to the records waiting on its input,
 * never to records matched by a UPRN or cross reference their source gave;
 * it can be revised; and a property plainly elsewhere than the input says is
 * decided only when confirmed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { matchSourceRecords } from '../../../src/addresses/records.js';
import { disclosures } from '../../../src/audit/store.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { tinyAbp } from '../../support/tiny-council.js';
import { sourceRecord, store } from '../linkage/people.js';

type Item = { id: number; text: string; postcode: string | null; occurrences: number };

describe('address review decisions', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-review-decision-'));
  let hub: TestHub;
  let steward: string;
  const ids: Record<string, number> = {};
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    hub.app.inject({ method, url, headers: { authorization: `Bearer ${steward}` }, ...(payload ? { payload } : {}) });
  const queue = async () => (await call('GET', '/v1/review/addresses')).json().items as Item[];
  const matchOf = async (ref: string) => (await hub.db.pool.query<{ uprn: number | null; status: string; evidence: string; decided_by: string }>(
    `SELECT m.uprn::int AS uprn, m.status, m.evidence, m.decided_by FROM address_match m JOIN source_record s ON s.id = m.source_record_id
      WHERE s.source_ref = $1 AND s.current`, [ref])).rows[0]!;
  const match = async (query: string) => (await call('GET', `/v1/addresses/match?${query}`)).json();

  beforeAll(async () => {
    hub = await createTestHub();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(hub.db.url, [file]);
    steward = await hub.keyFor('steward', 'Data Team');
    const lane = { forenames: ['TEST'], lines: ['MILL LANE', 'NORTHBY'] };
    // Two council-tax records with the same text as the smartcard one, placed by the gazetteer's cross reference.
    const councilTax = (ref: string) => {
      const record = sourceRecord({ ...lane, system: 'revenues', ref, surname: `PERSON${ref}` });
      return { ...record, addresses: record.addresses.map((a) => ({ ...a, crossReference: 'CTR0100001' })) };
    };
    const stored = [
      ...await store(hub.db.pool, [sourceRecord({ ...lane, system: 'smartcard', ref: 'SC1', surname: 'PERSONSC1' })]),
      ...await store(hub.db.pool, [councilTax('CT1'), councilTax('CT2')]),
      ...await store(hub.db.pool, [sourceRecord({ forenames: ['TEST'], surname: 'PERSONH1', system: 'housing', ref: 'H1', lines: ['2-2A MILL LANE', 'NORTHBY'], postcode: 'ZZ1 1AB' })]),
    ];
    for (const [i, ref] of ['SC1', 'CT1', 'CT2', 'H1'].entries()) ids[ref] = stored[i]!;
    expect(await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), stored)).toMatchObject({ matched: 2, review: 2 });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves only the records waiting on the input, never those a cross reference placed, and keeps them so when they are matched again', async () => {
    expect(await matchOf('CT1')).toEqual({ uprn: 100001, status: 'matched', evidence: 'cross-reference', decided_by: 'matcher' });
    const item = (await queue()).find((i) => i.postcode === null)!;
    expect(item.occurrences).toBe(1);
    const decided = await call('POST', `/v1/review/addresses/${item.id}`, { uprn: 100004 });
    expect(decided.json()).toEqual({ id: item.id, uprn: 100004, updatedRecords: 1 });
    expect(await matchOf('SC1')).toEqual({ uprn: 100004, status: 'matched', evidence: 'address', decided_by: 'steward' });
    for (const ref of ['CT1', 'CT2']) expect(await matchOf(ref)).toEqual({ uprn: 100001, status: 'matched', evidence: 'cross-reference', decided_by: 'matcher' });
    // The decision is kept for the text; the cross reference still comes first.
    await matchSourceRecords(hub.db.pool, new AddressMatcher(hub.db.pool), [ids.CT1!, ids.SC1!]);
    expect(await matchOf('CT1')).toEqual({ uprn: 100001, status: 'matched', evidence: 'cross-reference', decided_by: 'matcher' });
    expect(await matchOf('SC1')).toMatchObject({ uprn: 100004, decided_by: 'steward' });
    expect(await match('text=MILL+LANE,+NORTHBY&crossReference=CTR0100001')).toMatchObject({ uprn: 100001, decidedBy: 'matcher', explanation: { evidence: 'cross-reference' } });
  });

  it('revises a decision with PUT, re-matching the records the old one matched, audited with the UPRN it replaces', async () => {
    const [item] = (await hub.db.pool.query<{ id: string }>("SELECT id FROM address_review WHERE status = 'decided'")).rows;
    const id = Number(item!.id);
    const again = await call('POST', `/v1/review/addresses/${id}`, { uprn: 100002 });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'conflict' });
    const revised = await call('PUT', `/v1/review/addresses/${id}`, { uprn: 100002 });
    expect(revised.json()).toEqual({ id, uprn: 100002, updatedRecords: 1 });
    expect(await matchOf('SC1')).toEqual({ uprn: 100002, status: 'matched', evidence: 'address', decided_by: 'steward' });
    expect(await matchOf('CT2')).toMatchObject({ uprn: 100001, evidence: 'cross-reference' });
    expect(await match('text=MILL+LANE,+NORTHBY')).toMatchObject({ uprn: 100002, decidedBy: 'steward' });
    const entries = await disclosures(hub.db.pool, { action: 'addresses.review.decide' });
    expect(entries.map((e) => e.detail)).toEqual([
      { reviewId: id, uprn: 100004, records: [{ system: 'smartcard', sourceRef: 'SC1', from: expect.any(Number) }] },
      { reviewId: id, uprn: 100002, revisedFrom: 100004, records: [{ system: 'smartcard', sourceRef: 'SC1', from: 100004 }] },
    ]);
    expect((await call('PUT', `/v1/review/addresses/${id}`, { noMatch: true })).json()).toEqual({ id, uprn: null, updatedRecords: 1 });
    expect(await matchOf('SC1')).toEqual({ uprn: null, status: 'unmatched', evidence: 'address', decided_by: 'steward' });
    const open = (await queue())[0]!;
    expect((await call('PUT', `/v1/review/addresses/${open.id}`, { uprn: 100002 })).json()).toMatchObject({ code: 'conflict' });
  });

  it('refuses a property on another street under another postcode unless confirmed, and explains a decided input field by field', async () => {
    const [item] = await queue();
    expect(item).toMatchObject({ postcode: 'ZZ1 1AB', occurrences: 1 });
    // 7 HIGH STREET, ZZ1 2BE: not a candidate of 2-2A MILL LANE, ZZ1 1AB.
    const refused = await call('POST', `/v1/review/addresses/${item!.id}`, { uprn: 100020 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'decision-contradicts-input' });
    expect(await matchOf('H1')).toMatchObject({ status: 'review', decided_by: 'matcher' });
    expect((await queue()).map((i) => i.id)).toContain(item!.id);

    const confirmed = await call('POST', `/v1/review/addresses/${item!.id}`, { uprn: 100020, confirm: true });
    expect(confirmed.json()).toEqual({ id: item!.id, uprn: 100020, updatedRecords: 1 });
    const entries = await disclosures(hub.db.pool, { action: 'addresses.review.decide' });
    expect(entries.at(-1)!.detail).toMatchObject({ reviewId: item!.id, uprn: 100020, confirmed: true });

    const explained = await match('text=2-2A+MILL+LANE,+NORTHBY&postcode=ZZ1+1AB');
    expect(explained).toMatchObject({ uprn: 100020, status: 'matched', decidedBy: 'steward', explanation: { fields: { street: 'type-differs', postcode: 'outward' } } });
    expect(explained.explanation.parsed).not.toBeNull();
    expect(explained.explanation.reasons[0]).toBe('decided by a steward for this input');
    expect(explained.explanation.reasons).toContain('the property decided is on another street, under a postcode of another sector, than the address as written');
    // A neighbour of the input (2 MILL LANE, a candidate) is decided without confirming.
    expect((await call('PUT', `/v1/review/addresses/${item!.id}`, { uprn: 100001 })).statusCode).toBe(200);
    const stored = await hub.db.pool.query<{ explanation: { fields: { street: string } | null; reasons: string[] } }>(
      'SELECT explanation FROM address_match WHERE source_record_id = $1', [ids.H1]);
    expect(stored.rows[0]!.explanation).toMatchObject({ fields: { street: 'exact' }, reasons: ['decided by a steward for this input', expect.stringMatching(/^the address as written scores/)] });
  });
});
