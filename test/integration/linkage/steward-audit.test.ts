import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLink } from '../../../src/linkage/accounts.js';
import { loadPrepareTables, openLinkage, type LinkageContext } from '../../../src/linkage/context.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { linkOne } from '../../../src/linkage/link.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { population, sourceRecord, store, type PersonSpec } from './people.js';

interface Row { action: string; client_id: string; citizen_ref: string | null; purpose: string; decision: string; categories_disclosed: string[]; detail: Record<string, unknown> | null }

/** A steward sees people's records in the review queue and moves records between accounts: the audit trail records who saw or changed what about whom. */
describe('stewards are audited', () => {
  let hub: TestHub;
  let ctx: LinkageContext;
  let steward: string;
  let stewardId: number;
  let adviser: string;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, payload?: object) =>
    hub.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const entries = async (action: string) =>
    (await hub.db.pool.query<Row>('SELECT action, client_id, citizen_ref, purpose, decision, categories_disclosed, detail FROM audit_log WHERE action = $1 ORDER BY seq', [action])).rows;
  const refOfRecord = async (system: string, ref: string) => {
    const link = await currentLink(hub.db.pool, system, ref);
    return (await hub.db.pool.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [link?.citizenId])).rows[0]!.ref;
  };
  const add = async (...specs: PersonSpec[]) => {
    await store(hub.db.pool, specs.map(sourceRecord));
    for (const s of specs) await linkOne(ctx, s.system, s.ref);
  };
  type Item = { id: number; record: { citizenRef: string | null; system: string; sourceRef: string }; candidate: { citizenRef: string | null }; candidateCitizenRef: string };

  beforeAll(async () => {
    hub = await createTestHub();
    await store(hub.db.pool, population(3, 150));
    const tables = await loadPrepareTables();
    await trainFromDatabase(hub.db.pool, tables, { seed: 5 });
    ctx = await openLinkage(hub.db.pool, { tables });
    await linkAll(ctx);
    steward = await hub.keyFor('steward', 'Data Team');
    stewardId = (await call('GET', '/v1/me', steward)).json().clientId as number;
    adviser = await hub.keyFor('adviser');
    await add(
      { system: 'housing', ref: 'AQ1', forenames: ['DAVID'], surname: 'JONES', lines: ['6 OAK ROW', 'NORTHBY'], postcode: 'ZZ5 5AB' },
      { system: 'revenues', ref: 'AQ2', forenames: ['DAVID'], surname: 'JONES', dob: '1971-03-03' },
    );
  }, 180_000);
  afterAll(async () => hub?.close());

  it('records each person whose records a page of the review queue showed, and to whom', async () => {
    const page = await call('GET', '/v1/review/people', steward);
    expect(page.statusCode).toBe(200);
    const items = page.json().items as Item[];
    expect(items.length).toBeGreaterThan(0);
    const shown = new Set(items.flatMap((i) => [i.record.citizenRef, i.candidate.citizenRef, i.candidateCitizenRef]).filter((r): r is string => r !== null));
    const read = await entries('linkage.review.read');
    expect(new Set(read.map((e) => e.citizen_ref))).toEqual(shown);
    for (const e of read) {
      expect(Number(e.client_id)).toBe(stewardId);
      expect(e.decision).toBe('permit');
      expect(e.categories_disclosed).toContain('identity');
      expect(items.map((i) => i.id)).toEqual(expect.arrayContaining(e.detail!.reviewIds as number[]));
    }
  });

  it('records a review decision about the record and the citizens it concerns', async () => {
    const items = (await call('GET', '/v1/review/people', steward)).json().items as Item[];
    const item = items.find((i) => i.record.sourceRef === 'AQ1' || i.record.sourceRef === 'AQ2') ?? items[0]!;
    const decided = await call('POST', `/v1/review/people/${item.id}`, steward, { decision: 'link', reason: 'same tenancy file' });
    expect(decided.statusCode).toBe(200);
    const decisions = await entries('linkage.review.decide');
    expect(decisions.map((e) => e.citizen_ref)).toContain(decided.json().citizenRef);
    expect(decisions.map((e) => e.citizen_ref)).toContain(item.candidateCitizenRef);
    for (const e of decisions) {
      expect(Number(e.client_id)).toBe(stewardId);
      expect(e.detail).toMatchObject({ reviewId: item.id, decision: 'link', system: item.record.system, sourceRef: item.record.sourceRef, reason: 'same tenancy file' });
    }
  });

  it('records a manual unlink and link under both accounts', async () => {
    await add(
      { system: 'housing', ref: 'AM1', forenames: ['LILY'], surname: 'PATEL', dob: '1999-09-19', lines: ['3 PINE WAY', 'NORTHBY'], postcode: 'ZZ3 3AA' },
      { system: 'smartcard', ref: 'AM2', forenames: ['LILY'], surname: 'PATEL', dob: '1999-09-19', lines: ['3 PINE WAY', 'NORTHBY'], postcode: 'ZZ3 3AA' },
    );
    const ref = await refOfRecord('housing', 'AM1');
    const unlinked = await call('DELETE', `/v1/citizens/${ref}/links/smartcard/AM2?reason=different+person`, steward);
    expect(unlinked.statusCode).toBe(200);
    const own = unlinked.json().citizenRef as string;
    expect((await entries('linkage.unlink')).map((e) => e.citizen_ref).sort()).toEqual([ref, own].sort());
    expect((await call('POST', `/v1/citizens/${ref}/links`, steward, { system: 'smartcard', sourceRef: 'AM2', reason: 'same person after all' })).statusCode).toBe(200);
    const linked = await entries('linkage.link');
    expect(linked.map((e) => e.citizen_ref).sort()).toEqual([ref, own].sort());
    expect(linked[0]!.detail).toMatchObject({ system: 'smartcard', sourceRef: 'AM2', from: own, to: ref, reason: 'same person after all' });
  });

  it('records a link or unlink refused for the caller\'s role as a denial about that citizen', async () => {
    const ref = await refOfRecord('housing', 'AM1');
    expect((await call('POST', `/v1/citizens/${ref}/links`, adviser, { system: 'smartcard', sourceRef: 'AM2' })).statusCode).toBe(403);
    expect((await call('DELETE', `/v1/citizens/${ref}/links/smartcard/AM2`, adviser)).statusCode).toBe(403);
    const denied = [...await entries('linkage.link'), ...await entries('linkage.unlink')].filter((e) => e.decision === 'deny');
    expect(denied.map((e) => e.citizen_ref)).toEqual([ref, ref]);
  });

  it('keeps the trail verifiable, and lists the entries among the person\'s disclosures', async () => {
    const dpo = await hub.keyFor('dpo', 'Information Governance');
    const verified = (await call('GET', '/v1/audit/verify', dpo)).json() as { ok: boolean; count: number };
    expect(verified.ok).toBe(true);
    expect(verified.count).toBeGreaterThan(0);
    const ref = await refOfRecord('housing', 'AM1');
    const listed = (await call('GET', `/v1/audit/disclosures?citizen=${ref}`, dpo)).json() as { entries: { action: string }[] };
    expect(listed.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['linkage.unlink', 'linkage.link']));
  });

  it('writes nothing when the decision fails', async () => {
    const before = (await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n;
    expect((await call('POST', '/v1/review/people/999999', steward, { decision: 'distinct' })).statusCode).toBe(404);
    expect((await hub.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n).toBe(before);
  });
});
